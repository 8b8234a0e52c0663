"""The `api` command as a new user runs it: a real Granian process, real signals."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import msgspec
import pytest
from prometheus_client.parser import text_string_to_metric_families

from src.cli import openapi_document
from src.core.settings import PROJECT_ROOT
from tests.conftest import base_settings
from tests.support.server import API, clean_environment, serve


def test_serve_with_no_configuration_runs_on_an_embedded_database_that_survives_restarts(tmp_path: Path) -> None:
    environment = clean_environment(DATA_DIR=str(tmp_path / "data"))

    with serve(environment) as served:
        started = served.wait_for_event("startup_complete")
        assert started["docs"] == f"{served.url}/docs"
        assert httpx.get(f"{served.url}/health/ready").json()["checks"] == {"database": "ok", "migrations": "ok"}
        docs = httpx.get(f"{served.url}/docs")
        assert docs.status_code == 200
        assert "swagger-ui" in docs.text
        assert served.stop() == 0
    assert any(line.get("event") == "migration_applied" for line in served.lines)
    assert (tmp_path / "data" / "postgres" / "PG_VERSION").exists()

    with serve(environment) as served:
        served.wait_for_event("startup_complete")
        assert served.stop() == 0
    # The data was kept: nothing left to migrate on the second start.
    assert not any(line.get("event") == "migration_applied" for line in served.lines)


def test_serve_uses_database_url_when_set(database_url: str) -> None:
    with serve(clean_environment(DATABASE_URL=database_url)) as served:
        served.wait_for_event("startup_complete")
        assert httpx.get(f"{served.url}/health/ready").status_code == 200
        assert served.stop() == 0

    assert not any(line.get("event") == "embedded_postgres_started" for line in served.lines)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"PORT": "eighty"}, "configuration error: PORT is invalid: Expected `int`, got `str`\n"),
        ({"APP_ENV": "production"}, "configuration error: DATABASE_URL is required when APP_ENV=production\n"),
    ],
)
def test_bad_configuration_stops_with_one_line_naming_the_variable(variables: dict[str, str], message: str) -> None:
    result = subprocess.run(  # noqa: S603
        [API, "serve"], env=clean_environment(**variables), capture_output=True, timeout=60, check=False
    )

    assert result.returncode == 2
    assert result.stderr.decode() == message


def test_migrate_check_reports_pending_and_migrate_applies_them(empty_database_url: str) -> None:
    environment = clean_environment(DATABASE_URL=empty_database_url)

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([API, *args], env=environment, capture_output=True, timeout=60, check=False)  # noqa: S603

    pending = run("migrate", "--check")
    assert pending.returncode == 1
    assert b"pending: 0001_shared_functions.sql" in pending.stdout
    assert run("migrate").returncode == 0
    assert run("migrate", "--check").returncode == 0


def test_the_committed_openapi_snapshot_matches_the_code() -> None:
    committed = (PROJECT_ROOT / "openapi.json").read_bytes()

    assert openapi_document(base_settings()) == committed, (
        "openapi.json is out of date: run `uv run api openapi` and commit the result"
    )


def test_openapi_command_writes_the_document() -> None:
    result = subprocess.run(  # noqa: S603
        [API, "openapi", "--output", "-"], env=clean_environment(), capture_output=True, timeout=60, check=True
    )

    assert msgspec.json.decode(result.stdout)["openapi"].startswith("3.1")


def test_metrics_aggregate_every_worker(database_url: str, tmp_path: Path) -> None:
    environment = clean_environment(
        DATABASE_URL=database_url, WORKERS="2", DB_POOL_MAX_SIZE="4", DATA_DIR=str(tmp_path)
    )
    with serve(environment) as served:
        served.wait_for_event("startup_complete")
        served.wait_for_event("startup_complete")  # one line per worker
        for _ in range(30):
            with httpx.Client() as fresh_connection:  # spread over workers
                fresh_connection.get(f"{served.url}/health/live")
        scrapes = [httpx.get(f"{served.url}/metrics").text for _ in range(4)]
        assert served.stop() == 0

    for scrape in scrapes:
        samples = {
            (sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(scrape)
            for sample in family.samples
        }
        live = ("method", "GET"), ("path", "/health/live"), ("status_code", "200")
        assert samples[("avatar_api_requests_total", live)] == 30
        # Each worker reports its own pool: the sum covers both.
        assert samples[("avatar_api_db_pool_connections", (("state", "max"),))] == 8

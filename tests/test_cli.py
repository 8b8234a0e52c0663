"""The `api` command as a new user runs it: a real Granian process, real signals."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import time
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
import asyncpg
import httpx
import msgspec
import pytest
from prometheus_client.parser import text_string_to_metric_families

from src.cli import openapi_document
from src.core.security.keys import SigningKeys
from src.core.security.sealing import Sealer, generate_data_key, parse_data_key
from src.core.security.totp import secret_context
from src.core.settings import PROJECT_ROOT
from tests.conftest import TEST_DATA_KEY, base_settings
from tests.support.accounts import new_account
from tests.support.mfa import enrol
from tests.support.server import API, clean_environment, free_port, serve


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
    assert any(line.get("message") == "migration_applied" for line in served.lines)
    assert (tmp_path / "data" / "postgres" / "PG_VERSION").exists()

    with serve(environment) as served:
        served.wait_for_event("startup_complete")
        assert served.stop() == 0
    # The data was kept: nothing left to migrate on the second start.
    assert not any(line.get("message") == "migration_applied" for line in served.lines)


def test_serve_uses_database_url_when_set(database_url: str) -> None:
    with serve(clean_environment(DATABASE_URL=database_url)) as served:
        served.wait_for_event("startup_complete")
        assert httpx.get(f"{served.url}/health/ready").status_code == 200
        assert served.stop() == 0

    assert not any(line.get("message") == "embedded_postgres_started" for line in served.lines)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"PORT": "eighty"}, "configuration error: PORT='eighty' is invalid: Expected `int`, got `str`\n"),
        ({"APP_ENV": "production"}, "configuration error: DATABASE_URL is required when APP_ENV=production\n"),
        (
            {"JWT_PRIVATE_KEY": "not a key"},
            "configuration error: JWT_PRIVATE_KEY is not a readable, unencrypted PEM private key\n",
        ),
        (
            {"JWT_PRIVATE_KEY": "@/nonexistent/key.pem"},
            (
                "configuration error: JWT_PRIVATE_KEY points to /nonexistent/key.pem, which cannot be read "
                "(No such file or directory)\n"
            ),
        ),
        (
            {"DATABASE_URL": "postgresql://app:secret@db:port/app"},
            (
                "configuration error: DATABASE_URL cannot be parsed as a URL; "
                "expected postgresql://user:password@host:5432/database\n"
            ),
        ),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            (
                "configuration error: OTEL_EXPORTER_OTLP_PROTOCOL=grpc is not supported: traces are sent as "
                "http/protobuf (point OTEL_EXPORTER_OTLP_ENDPOINT at the collector's OTLP/HTTP port, 4318)\n"
            ),
        ),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_TRACES_EXPORTER": "zipkin"},
            "configuration error: OTEL_TRACES_EXPORTER=zipkin is not supported: traces are sent over OTLP (otlp)\n",
        ),
    ],
)
def test_bad_configuration_stops_with_one_line_naming_the_variable(variables: dict[str, str], message: str) -> None:
    """Checked before Granian starts: no worker is spawned to find it out (and crash-loop)."""
    result = subprocess.run(  # noqa: S603
        [API, "serve"], env=clean_environment(**variables), capture_output=True, timeout=60, check=False
    )

    assert result.returncode == 2
    assert result.stderr.decode() == message
    assert b"granian" not in result.stdout.lower()


def test_a_worker_that_cannot_start_stops_the_whole_server_with_one_line_each(tmp_path: Path) -> None:
    environment = clean_environment(
        DATABASE_URL="postgresql://postgres@127.0.0.1:9/nowhere",
        DB_STARTUP_TIMEOUT="1",
        WORKERS="2",
        DATA_DIR=str(tmp_path),
        PORT=str(free_port()),
    )
    started = time.monotonic()
    result = subprocess.run([API, "serve"], env=environment, capture_output=True, timeout=60, check=False)  # noqa: S603

    assert result.returncode == 1
    assert time.monotonic() - started < 30  # not respawned again and again
    output = result.stdout + result.stderr
    assert b"Traceback" not in output
    lines = [msgspec.json.decode(raw) for raw in output.splitlines() if raw.startswith(b"{")]
    errors = [line for line in lines if line["severity"] == "ERROR"]
    assert {line["message"] for line in errors} == {"startup_failed", "server_stopped"}
    assert 1 <= sum(line["message"] == "startup_failed" for line in errors) <= 2  # one per worker at most
    assert all("exception" not in line for line in lines)
    failed = next(line for line in errors if line["message"] == "startup_failed")
    assert "DB_STARTUP_TIMEOUT" in failed["reason"]


def test_migrate_check_reports_pending_and_migrate_applies_them(empty_database_url: str) -> None:
    environment = clean_environment(DATABASE_URL=empty_database_url)

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([API, *args], env=environment, capture_output=True, timeout=60, check=False)  # noqa: S603

    pending = run("migrate", "--check")
    assert pending.returncode == 1
    assert b"pending: 0001_shared_functions.sql" in pending.stdout
    assert run("migrate").returncode == 0
    checked = run("migrate", "--check")
    assert checked.returncode == 0
    migrations = len(list((PROJECT_ROOT / "migrations").glob("*.sql")))
    assert checked.stdout == f"up to date: {migrations} migrations applied\n".encode()


def test_the_committed_openapi_snapshot_matches_the_code() -> None:
    committed = (PROJECT_ROOT / "openapi.json").read_bytes()

    assert openapi_document(base_settings()) == committed, (
        "openapi.json is out of date: run `uv run api openapi` and commit the result"
    )


def test_openapi_command_writes_the_document(tmp_path: Path) -> None:
    result = subprocess.run(  # noqa: S603
        [API, "openapi", "--output", "-"], env=clean_environment(), capture_output=True, timeout=60, check=True
    )

    assert msgspec.json.decode(result.stdout)["openapi"].startswith("3.1")
    target = tmp_path / "openapi.json"

    def write() -> str:
        return subprocess.run(  # noqa: S603
            [API, "openapi", "--output", str(target)], env=clean_environment(), capture_output=True, check=True
        ).stdout.decode()

    assert re.fullmatch(rf"wrote {target} \(\d+ operations, [\d,]+ bytes; updated\)\n", write())
    assert target.read_bytes() == result.stdout
    assert write().endswith("; unchanged)\n")


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
        assert samples[("avatar_api_db_pool_max_connections", ())] == 8


def test_keys_generate_writes_a_signing_key_the_service_accepts(tmp_path: Path) -> None:
    key = tmp_path / "secrets" / "jwt-signing-key.pem"

    def generate(*extra: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(  # noqa: S603
            [API, "keys", "generate", "--output", str(key), *extra],
            env=clean_environment(),
            capture_output=True,
            check=False,
        )

    first = generate()
    assert first.returncode == 0, first.stderr
    assert f"JWT_PRIVATE_KEY=@{key}".encode() in first.stdout
    assert key.parent.stat().st_mode & 0o777 == 0o700
    assert SigningKeys.from_settings(base_settings(jwt_private_key=f"@{key}")).active_kid
    before = key.read_bytes()
    assert generate().returncode == 1  # never replaced by accident
    assert key.read_bytes() == before
    assert generate("--force").returncode == 0
    assert key.read_bytes() != before


async def test_reseal_data_moves_every_secret_to_the_current_key(client: httpx.AsyncClient, database_url: str) -> None:
    """After a rotation, `api keys reseal-data` seals the TOTP secrets again with the new key,
    so the old one can be dropped; what no configured key opens is reported, not lost."""
    enrolled = [await enrol(client, await new_account(client), window=2) for _ in range(2)]
    new_key = generate_data_key()

    def reseal(previous: str) -> subprocess.CompletedProcess[bytes]:
        environment = clean_environment(
            DATABASE_URL=database_url, DATA_ENCRYPTION_KEY=new_key, DATA_ENCRYPTION_PREVIOUS_KEYS=previous
        )
        return subprocess.run(  # noqa: S603
            [API, "keys", "reseal-data"], env=environment, capture_output=True, check=False, timeout=60
        )

    without_old_key = await asyncio.to_thread(reseal, "")
    done = await asyncio.to_thread(reseal, TEST_DATA_KEY)

    assert without_old_key.returncode == 1
    assert b"2 TOTP secret(s) were sealed with a key that is not configured" in without_old_key.stderr
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"sealed 2 TOTP secret(s) again with DATA_ENCRYPTION_KEY\n"
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT user_id, secret_sealed FROM user_totp")
    finally:
        await connection.close()
    sealer = Sealer(parse_data_key(new_key, "DATA_ENCRYPTION_KEY"))
    opened = {sealer.unseal(bytes(row["secret_sealed"]), context=secret_context(row["user_id"])) for row in rows}
    assert opened == {account.app.secret.encode() for account in enrolled}


def _send_mail(port: int, token: str) -> None:
    message = EmailMessage()
    message["From"] = "no-reply@example.com"
    message["To"] = "ada@example.com"
    message["Subject"] = "Verify"
    message.set_content(f"Open https://app.example.com/verify-email#token={token}\n")
    asyncio.run(aiosmtplib.send(message, hostname="127.0.0.1", port=port, timeout=10))


def test_serve_without_smtp_url_writes_each_message_as_an_eml_file_and_logs_its_path(
    database_url: str, tmp_path: Path
) -> None:
    with serve(clean_environment(DATABASE_URL=database_url, DATA_DIR=str(tmp_path))) as served:
        started = served.wait_for_event("mail_sink_started")
        served.wait_for_event("startup_complete")
        port = int(str(started["smtp"]).rpartition(":")[2])
        _send_mail(port, "the-secret-token")
        written = served.wait_for_event("mail_written")
        assert served.stop() == 0

    path = Path(str(written["path"]))
    assert path.parent == tmp_path / "mail"
    assert path.suffix == ".eml"
    assert b"#token=the-secret-token" in path.read_bytes()
    assert written["to"] == ["a***@example.com"]
    assert not any(b"the-secret-token" in line for line in served.output), "the log never shows the message"


def test_mail_sink_command_serves_until_stopped(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - our own console script
        [API, "mail-sink", "--port", str(port), "--directory", str(tmp_path / "out")],
        env=clean_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert process.stdout is not None
        assert b"mail_sink_started" in process.stdout.readline()
        _send_mail(port, "tok")
        deadline = time.monotonic() + 10
        while not list((tmp_path / "out").glob("*.eml")) and time.monotonic() < deadline:
            time.sleep(0.05)  # noqa: TID251 - a plain test, no loop here
        [written] = list((tmp_path / "out").glob("*.eml"))
        assert b"Subject: Verify" in written.read_bytes()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()

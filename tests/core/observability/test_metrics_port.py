"""METRICS_PORT: /metrics on a listener of its own, never on the API's port; off by default."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from src.app import create_app
from src.core.settings import Settings, SettingsError, load_settings
from tests.support.http import running_app
from tests.support.server import clean_environment, free_port, serve


def samples(scrape: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(scrape)
        for sample in family.samples
    }


async def test_without_metrics_port_metrics_are_served_beside_the_api(client: httpx.AsyncClient) -> None:
    assert (await client.get("/metrics")).status_code == 200


async def test_with_metrics_port_metrics_are_served_there_only(settings: Settings) -> None:
    port = free_port()
    async with (
        running_app(create_app(settings.with_changes(metrics_port=port))) as client,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as scraper,
    ):
        await client.get("/health/live")
        on_the_api = await client.get("/metrics")
        scrape = await scraper.get("/metrics")
        elsewhere = await scraper.get("/")

    assert on_the_api.status_code == 404
    assert on_the_api.headers["content-type"] == "application/problem+json"
    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain; version=0.0.4")
    live = ("method", "GET"), ("path", "/health/live"), ("status_code", "200")
    assert samples(scrape.text)[("avatar_api_requests_total", live)] >= 1
    assert elsewhere.status_code == 404


async def test_the_metrics_listener_closes_with_the_app(settings: Settings) -> None:
    port = free_port()
    async with running_app(create_app(settings.with_changes(metrics_port=port))):
        pass

    async with httpx.AsyncClient() as scraper:
        with pytest.raises(httpx.ConnectError):
            await scraper.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


async def test_a_metrics_port_taken_by_another_program_stops_start_up_saying_so(settings: Settings) -> None:
    with socket.socket() as taken:  # a plain listener: no SO_REUSEPORT to share with
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SettingsError, match=rf"METRICS_PORT={port} cannot be listened on at 127.0.0.1"):
            async with running_app(create_app(settings.with_changes(metrics_port=port))):
                pass


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"METRICS_PORT": "8000"}, "METRICS_PORT must differ from PORT"),
        ({"METRICS_PORT": "0"}, "METRICS_PORT='0' is invalid"),
        ({"METRICS_PORT": "metrics"}, "METRICS_PORT='metrics' is invalid"),
    ],
)
def test_a_bad_metrics_port_is_refused(variables: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"PORT": "8000", **variables})


def test_metrics_port_is_off_unless_set() -> None:
    assert load_settings({}).metrics_port is None
    assert load_settings({"METRICS_PORT": ""}).metrics_port is None
    assert load_settings({"METRICS_PORT": "9102"}).metrics_port == 9102


def test_every_worker_answers_on_the_metrics_port_with_all_workers_samples(database_url: str, tmp_path: Path) -> None:
    """WORKERS=2: both workers listen on METRICS_PORT (SO_REUSEPORT), and whichever answers
    a scrape reports both workers' samples, as /metrics does without METRICS_PORT."""
    metrics_port = free_port()
    environment = clean_environment(
        DATABASE_URL=database_url,
        WORKERS="2",
        DB_POOL_MAX_SIZE="4",
        DATA_DIR=str(tmp_path),
        METRICS_PORT=str(metrics_port),
    )
    with serve(environment) as served:
        served.wait_for_event("startup_complete")
        served.wait_for_event("startup_complete")
        for _ in range(30):
            with httpx.Client() as fresh_connection:  # spread over workers
                fresh_connection.get(f"{served.url}/health/live")
        on_the_api = httpx.get(f"{served.url}/metrics")
        scrapes = [httpx.get(f"http://127.0.0.1:{metrics_port}/metrics").text for _ in range(6)]
        assert served.stop() == 0

    assert on_the_api.status_code == 404
    live = ("method", "GET"), ("path", "/health/live"), ("status_code", "200")
    for scrape in scrapes:
        found = samples(scrape)
        assert found[("avatar_api_requests_total", live)] == 30
        assert found[("avatar_api_db_pool_max_connections", ())] == 8  # both workers' pools
        assert not [name for name, _ in found if name.endswith("_created")]

"""`/metrics`: Prometheus text format, requests by route template, pool and edge counters."""

from __future__ import annotations

import asyncio
import random
import string

import httpx
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from src.app import create_app
from src.core.settings import Settings
from tests.support.http import running_app
from tests.support.metrics import sample_value


def value(scrape: str, name: str, **labels: str) -> float:
    return sample_value(scrape, name, default=0.0, **labels)


async def test_requests_are_counted_by_route_template_method_and_status(probe_client: httpx.AsyncClient) -> None:
    labels = {"method": "GET", "path": "/api/v1/probe/query", "status_code": "200"}
    before = REGISTRY.get_sample_value("avatar_api_requests_total", labels) or 0.0

    for n in range(3):
        await probe_client.get(f"/api/v1/probe/query?n={n}")
    scrape = await probe_client.get("/metrics")

    assert scrape.status_code == 200
    assert scrape.headers["content-type"] == CONTENT_TYPE_LATEST
    assert value(scrape.text, "avatar_api_requests_total", **labels) == before + 3
    assert value(scrape.text, "avatar_api_request_duration_seconds_count", method="GET", path=labels["path"]) >= 3
    assert "avatar_api_requests_in_progress" in scrape.text


async def test_requests_matching_no_route_are_counted(client: httpx.AsyncClient) -> None:
    labels = {"method": "GET", "path": "(unmatched)", "status_code": "404"}
    before = REGISTRY.get_sample_value("avatar_api_requests_total", labels) or 0.0

    await client.get("/wp-login.php")
    scrape = (await client.get("/metrics")).text

    assert value(scrape, "avatar_api_requests_total", **labels) == before + 1


async def test_pool_connections_by_state_and_waiting_requests_apart(probe_client: httpx.AsyncClient) -> None:
    """Connections are counted by state, and the states add up to the open connections;
    requests waiting in line are another gauge (a sum over the states must not count them)."""
    held = asyncio.create_task(probe_client.get("/api/v1/probe/hold", params={"seconds": 0.5}))
    await asyncio.sleep(0.2)
    scrape = (await probe_client.get("/metrics")).text
    await held

    assert value(scrape, "avatar_api_db_pool_max_connections") == 5
    assert value(scrape, "avatar_api_db_pool_connections", state="in_use") >= 1  # the held request
    assert value(scrape, "avatar_api_db_pool_connections", state="idle") >= 0
    assert value(scrape, "avatar_api_db_pool_waiting") == 0  # nobody in line now
    states = {
        sample.labels["state"]
        for family in text_string_to_metric_families(scrape)
        for sample in family.samples
        if sample.name == "avatar_api_db_pool_connections"
    }
    assert states == {"idle", "in_use"}


async def test_requests_waiting_for_a_connection_are_their_own_gauge(settings: Settings) -> None:
    from tests.support.probe_routes import probe_router

    app = create_app(settings.with_changes(db_pool_min_size=1, db_pool_max_size=1), features=[probe_router])
    async with running_app(app) as client:
        holders = [asyncio.create_task(client.get("/api/v1/probe/hold", params={"seconds": 0.6})) for _ in range(3)]
        await asyncio.sleep(0.3)
        scrape = (await client.get("/metrics")).text
        await asyncio.gather(*holders)

    # One request holds the only connection; the other two (and any background job) wait.
    assert value(scrape, "avatar_api_db_pool_waiting") >= 2
    assert value(scrape, "avatar_api_db_pool_connections", state="in_use") == 1
    assert value(scrape, "avatar_api_db_pool_max_connections") == 1


async def test_no_created_series_are_exported(probe_client: httpx.AsyncClient) -> None:
    """`_created` doubles the series of every counter and histogram; nothing reads it."""
    await probe_client.get("/api/v1/probe/query?n=1")
    scrape = (await probe_client.get("/metrics")).text

    assert "avatar_api_requests_total{" in scrape
    assert "_created" not in scrape


async def test_no_input_grows_the_number_of_series(probe_client: httpx.AsyncClient) -> None:
    """3,000 made-up methods took /metrics from 43 KB to 7 MB: every label set is bounded."""
    rng = random.Random(7)
    await probe_client.request("BREW", "/nowhere")  # the `other` method and unmatched series exist now

    def series() -> int:
        return sum(len(family.samples) for family in REGISTRY.collect())

    before = series()
    for index in range(1000):
        method = "".join(rng.choices(string.ascii_uppercase, k=rng.randint(3, 40)))
        path = f"/{rng.randint(0, 10**9)}/{index}"
        response = await probe_client.request(method, path)
        assert response.status_code in {404, 405}
    assert series() == before
    scrape = (await probe_client.get("/metrics")).text
    assert value(scrape, "avatar_api_requests_total", method="other", path="(unmatched)", status_code="404") >= 1000


def _flood(rng: random.Random) -> list[tuple[str, str]]:
    """300 requests a scanner might send: made-up and lower-case methods, on made-up paths
    and on real routes, and real methods with made-up ids and paths."""
    made_up = ["".join(rng.choices(string.ascii_letters, k=rng.randint(1, 30))) for _ in range(100)]
    requests = [(method, f"/{rng.getrandbits(64):x}/{method}") for method in made_up]
    requests += [(method, "/health/live") for method in made_up]
    requests += [("GET", f"/api/v1/avatars/{rng.getrandbits(128):032x}") for _ in range(50)]
    requests += [(rng.choice(["GET", "POST", "get"]), f"/api/v1/{rng.getrandbits(32)}") for _ in range(50)]
    return requests


async def test_a_flood_of_made_up_methods_and_paths_leaves_the_series_bounded(client: httpx.AsyncClient) -> None:
    """The second flood has the same shape as the first with none of its values: not one
    series is added, and the whole scrape stays small."""

    async def flood(seed: int) -> str:
        for method, path in _flood(random.Random(seed)):
            response = await client.request(method, path)
            assert response.status_code in {404, 405, 400}, (method, path, response.status_code)
        return (await client.get("/metrics")).text

    def series(scrape: str) -> set[tuple[str, tuple[tuple[str, str], ...]]]:
        return {
            (sample.name, tuple(sorted(sample.labels.items())))
            for family in text_string_to_metric_families(scrape)
            for sample in family.samples
            if sample.name.startswith("avatar_api_requests") or sample.name.startswith("avatar_api_request_")
        }

    first = series(await flood(1))
    second_scrape = await flood(2)

    assert series(second_scrape) == first
    methods = {dict(labels).get("method") for _, labels in first} - {None}
    assert methods <= {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"}
    assert len(second_scrape) < 200_000  # a few hundred series, whatever was sent

"""`/metrics`: Prometheus text format, requests by route template, pool and edge counters."""

from __future__ import annotations

import random
import string

import httpx
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY
from prometheus_client.parser import text_string_to_metric_families


def value(scrape: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(scrape):
        for metric in family.samples:
            if metric.name == name and all(metric.labels.get(k) == v for k, v in labels.items()):
                return metric.value
    return 0.0


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


async def test_pool_connections_are_reported(client: httpx.AsyncClient) -> None:
    scrape = (await client.get("/metrics")).text

    assert value(scrape, "avatar_api_db_pool_connections", state="max") >= 5
    assert value(scrape, "avatar_api_db_pool_connections", state="open") >= 1
    assert value(scrape, "avatar_api_db_pool_connections", state="waiting") == 0  # nobody in line now


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

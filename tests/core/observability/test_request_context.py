"""Request ids: accepted when sane, echoed, in every log line, in problems, forwarded outbound."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from aiohttp import web

from tests.support.logs import LogSink


def is_uuid7(value: str) -> bool:
    return uuid.UUID(value).version == 7


async def test_a_new_uuid7_request_id_when_none_is_sent(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")

    assert is_uuid7(response.headers["x-request-id"])


async def test_a_sane_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "edge-proxy:abc.123_XYZ"})

    assert response.headers["x-request-id"] == "edge-proxy:abc.123_XYZ"


@pytest.mark.parametrize(
    "incoming",
    [b"", b"has spaces", b"x" * 129, b"-starts-with-dash", b'quote"inside', b"semi;colon", "ünïcode".encode()],
)
async def test_an_insane_request_id_is_replaced(client: httpx.AsyncClient, incoming: bytes) -> None:
    response = await client.get("/health/live", headers={b"X-Request-ID": incoming})

    assert is_uuid7(response.headers["x-request-id"])


async def test_one_access_log_line_per_request_with_route_template(client: httpx.AsyncClient, logs: LogSink) -> None:
    response = await client.get("/health/ready", headers={"X-Request-ID": "trace-1"})

    (line,) = [record for record in logs.events("request") if record["request_id"] == "trace-1"]
    assert line["method"] == "GET"
    assert line["route"] == "/health/ready"
    assert line["status"] == response.status_code == 200
    assert isinstance(line["duration_ms"], float)
    assert line["severity"] == "INFO"
    assert line["time"].endswith("Z")


async def test_unmatched_requests_are_logged_and_carry_an_id(client: httpx.AsyncClient, logs: LogSink) -> None:
    response = await client.get("/nowhere", headers={"X-Request-ID": "trace-404"})

    assert response.headers["x-request-id"] == "trace-404"
    (line,) = [record for record in logs.events("request") if record["request_id"] == "trace-404"]
    assert line["status"] == 404
    assert line["route"] is None


async def test_every_log_line_of_a_request_carries_its_id(probe_client: httpx.AsyncClient, logs: LogSink) -> None:
    await probe_client.get("/api/v1/probe/log", headers={"X-Request-ID": "trace-inside"})

    (event,) = logs.events("probe_event")
    assert event["request_id"] == "trace-inside"


async def test_request_id_does_not_leak_into_the_next_request(client: httpx.AsyncClient, logs: LogSink) -> None:
    await client.get("/health/live", headers={"X-Request-ID": "first"})
    second = await client.get("/health/live")

    ids = [record["request_id"] for record in logs.events("request")]
    assert ids == ["first", second.headers["x-request-id"]]


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[str, list[dict[str, str]]]]:
    """A real HTTP server on loopback that records the headers it receives."""
    received: list[dict[str, str]] = []

    async def record(request: web.Request) -> web.Response:
        received.append(dict(request.headers))
        return web.Response(status=204)

    application = web.Application()
    application.router.add_get("/hook", record)
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}/hook", received
    await runner.cleanup()


async def test_outbound_calls_forward_the_request_id(
    probe_client: httpx.AsyncClient, receiver: tuple[str, list[dict[str, str]]]
) -> None:
    url, received = receiver

    response = await probe_client.get("/api/v1/probe/outbound", params={"url": url}, headers={"X-Request-ID": "hop-1"})

    assert response.json() == {"value": 204}
    (headers,) = received
    assert headers["X-Request-ID"] == "hop-1"
    assert headers["User-Agent"].startswith("avatar-api/")

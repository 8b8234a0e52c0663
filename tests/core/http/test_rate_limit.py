"""Rate limits: headers, 429 with Retry-After, policies, keys, Redis sharing and fail-open."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from prometheus_client import REGISTRY

from src.app import create_app
from src.core.http.client_address import address_group
from src.core.http.rate_limit import reset_seconds
from src.core.settings import Settings
from tests.support.http import running_app
from tests.support.logs import LogSink
from tests.support.probe_routes import probe_router

PROBE = "/api/v1/probe/query?n=1"


def limited(settings: Settings, **changes: Any) -> Settings:
    return settings.with_changes(rate_limit_default="3/minute", rate_limit_auth="2/minute", **changes)


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_reset_is_whole_seconds_rounded_up_and_never_past_the_window() -> None:
    assert reset_seconds(59.2, 60) == 60
    assert reset_seconds(0.4, 60) == 1
    assert reset_seconds(-0.1, 60) == 0
    # A window opened at `now` ends at now + 60; (now + 60) - now is not always 60.0.
    assert reset_seconds((965.220350637 + 60) - 965.220350637, 60) == 60
    assert (965.220350637 + 60) - 965.220350637 > 60


async def test_headers_count_down_then_429_with_retry_after(settings: Settings) -> None:
    async with running_app(create_app(limited(settings), features=[probe_router])) as client:
        responses = [await client.get(PROBE) for _ in range(4)]

    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert [r.headers["ratelimit-remaining"] for r in responses] == ["2", "1", "0", "0"]
    first = responses[0].headers
    assert first["ratelimit-limit"] == "3"
    assert first["ratelimit-policy"] == '"default";q=3;w=60'
    assert first["ratelimit"].startswith('"default";r=2;t=')
    assert 0 < int(first["ratelimit-reset"]) <= 60
    rejected = responses[3]
    assert rejected.headers["content-type"] == "application/problem+json"
    assert rejected.json()["code"] == "rate_limited"
    assert 0 < int(rejected.headers["retry-after"]) <= 60


async def test_a_route_can_opt_into_the_stricter_policy(settings: Settings) -> None:
    async with running_app(create_app(limited(settings), features=[probe_router])) as client:
        strict = [(await client.get("/api/v1/probe/strict")).status_code for _ in range(3)]
        default = await client.get(PROBE)

    assert strict == [200, 200, 429]
    assert default.status_code == 200  # a separate budget
    assert default.headers["ratelimit-remaining"] == "2"


async def test_probes_metrics_and_docs_are_never_limited(settings: Settings) -> None:
    paths = ["/health/live", "/health/ready", "/metrics", "/docs", "/schema/openapi.json"]
    async with running_app(create_app(limited(settings), features=[probe_router])) as client:
        for path in paths:
            statuses = {(await client.get(path)).status_code for _ in range(5)}
            assert statuses == {200}, path
            assert "ratelimit-limit" not in (await client.get(path)).headers


async def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(settings: Settings) -> None:
    async with running_app(create_app(limited(settings), features=[probe_router])) as client:
        # Rotating X-Forwarded-For gives no fresh budget: the peer address is the key.
        statuses = [
            (await client.get(PROBE, headers={"X-Forwarded-For": f"198.51.100.{i}"})).status_code for i in range(4)
        ]
    assert statuses == [200, 200, 200, 429]


async def test_behind_a_trusted_proxy_each_client_has_its_own_budget(settings: Settings) -> None:
    # The test transport's peer is 203.0.113.7: declare it a trusted proxy.
    trusting = limited(settings, trusted_proxies=("203.0.113.0/24",))
    async with running_app(create_app(trusting, features=[probe_router])) as client:
        alice = [(await client.get(PROBE, headers={"X-Forwarded-For": "198.51.100.1"})).status_code for _ in range(4)]
        bob = await client.get(PROBE, headers={"X-Forwarded-For": "198.51.100.2, 203.0.113.9"})

    assert alice == [200, 200, 200, 429]
    assert bob.status_code == 200
    assert bob.headers["ratelimit-remaining"] == "2"


async def test_the_limit_holds_exactly_under_concurrency(settings: Settings) -> None:
    tight = settings.with_changes(rate_limit_default="20/minute")
    async with running_app(create_app(tight, features=[probe_router])) as client:
        responses = await asyncio.gather(*(client.get(PROBE) for _ in range(50)))

    assert sorted(r.status_code for r in responses) == [200] * 20 + [429] * 30


async def test_rejections_are_counted_in_metrics(settings: Settings) -> None:
    before = sample("avatar_api_rate_limited_total", policy="default")
    async with running_app(create_app(limited(settings), features=[probe_router])) as client:
        for _ in range(5):
            await client.get(PROBE)
        scraped = (await client.get("/metrics")).text

    assert sample("avatar_api_rate_limited_total", policy="default") == before + 2
    assert 'avatar_api_rate_limited_total{policy="default"}' in scraped


async def test_limits_are_shared_between_instances_over_redis(shared_redis_settings: Settings) -> None:
    shared = limited(shared_redis_settings)
    async with (
        running_app(create_app(shared, features=[probe_router])) as first,
        running_app(create_app(shared, features=[probe_router])) as second,
    ):
        statuses = [(await client.get(PROBE)).status_code for client in (first, second, first, second)]
        ready = (await first.get("/health/ready")).json()

    assert statuses == [200, 200, 200, 429]
    assert ready["checks"]["redis"] == "ok"


async def test_redis_limits_hold_exactly_under_concurrency_across_instances(
    shared_redis_settings: Settings,
) -> None:
    shared = shared_redis_settings.with_changes(rate_limit_default="20/minute")
    async with (
        running_app(create_app(shared, features=[probe_router])) as first,
        running_app(create_app(shared, features=[probe_router])) as second,
    ):
        responses: list[httpx.Response] = await asyncio.gather(
            *(client.get(PROBE) for _ in range(25) for client in (first, second))
        )

    assert sorted(r.status_code for r in responses) == [200] * 20 + [429] * 30


async def test_service_keeps_serving_when_redis_is_unreachable(settings: Settings, logs: LogSink) -> None:
    errors_before = sample("avatar_api_rate_limit_store_errors_total")
    unreachable = limited(settings, redis_url="redis://127.0.0.1:9/0")
    async with running_app(create_app(unreachable, features=[probe_router])) as client:
        statuses = [(await client.get(PROBE)).status_code for _ in range(4)]
        ready = await client.get("/health/ready")

    # Served (fail open), still limited by this worker's own counter meanwhile.
    assert statuses == [200, 200, 200, 429]
    assert sample("avatar_api_rate_limit_store_errors_total") >= errors_before + 1
    assert logs.events("rate_limit_store_unavailable")
    assert ready.status_code == 200
    assert ready.json()["checks"]["redis"] == "unavailable"


async def test_readiness_can_require_redis(settings: Settings) -> None:
    strict = settings.with_changes(redis_url="redis://127.0.0.1:9/0", readiness_requires_redis=True)
    async with running_app(create_app(strict)) as client:
        ready = await client.get("/health/ready")

    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "redis": "unavailable"}


async def test_the_auth_policy_counts_per_address_whatever_token_is_sent(settings: Settings) -> None:
    """A valid token moved sign-ups and logins to a per-user counter: sign up, log in, use
    that token for the next sign-up, and so on, 40 in 2.5 s against a limit of 10/minute."""
    async with running_app(create_app(settings.with_changes(rate_limit_auth="4/minute"))) as client:
        statuses = []
        token = ""
        for attempt in range(8):
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            email = f"chain-{attempt}-{id(client)}@example.com"
            body = {"email": email, "password": "a long enough password", "display_name": "Chain"}
            statuses.append((await client.post("/api/v1/auth/sign-up", json=body, headers=headers)).status_code)
            logged_in = await client.post(
                "/api/v1/auth/login", json={"email": email, "password": body["password"]}, headers=headers
            )
            if logged_in.status_code == 200:
                token = logged_in.json()["access_token"]

    assert statuses[:2] == [201, 201]
    assert 429 in statuses[2:]  # 4 per minute across sign-up and login from one address


async def test_ipv6_clients_are_counted_by_their_network(settings: Settings) -> None:
    """One host holds a whole /64: each of its addresses must not get a budget of its own."""
    trusting = limited(settings, trusted_proxies=("203.0.113.0/24",))
    async with running_app(create_app(trusting, features=[probe_router])) as client:
        same_network = [
            (await client.get(PROBE, headers={"X-Forwarded-For": f"2001:db8:1:2::{index:x}"})).status_code
            for index in range(4)
        ]
        other_network = await client.get(PROBE, headers={"X-Forwarded-For": "2001:db8:1:3::1"})

    assert same_network == [200, 200, 200, 429]
    assert other_network.status_code == 200


def test_addresses_are_grouped_for_counting() -> None:
    assert address_group("198.51.100.7", 64) == "198.51.100.7"
    assert address_group("2001:db8:1:2:aaaa::1", 64) == "2001:db8:1:2::/64"
    assert address_group("2001:db8:1:2:aaaa::1", 48) == "2001:db8:1::/48"
    assert address_group("::ffff:198.51.100.7", 64) == "198.51.100.7"
    assert address_group("unknown", 64) == "unknown"


async def test_scanning_unknown_paths_and_methods_is_rate_limited(settings: Settings) -> None:
    async with running_app(create_app(limited(settings), features=[probe_router])) as client:
        scans = [await client.get(f"/wp-admin/{index}.php") for index in range(3)]
        methods = await client.request("PROPFIND", "/api/v1/probe/query")
        after = await client.get(PROBE)

    assert [response.status_code for response in scans] == [404, 404, 404]
    assert scans[0].headers["ratelimit-policy"] == '"default";q=3;w=60'
    assert methods.status_code == 429
    assert methods.headers["content-type"] == "application/problem+json"
    assert methods.json()["code"] == "rate_limited"
    assert 0 < int(methods.headers["retry-after"]) <= 60
    assert methods.headers["x-request-id"] == methods.json()["request_id"]
    assert after.status_code == 429  # the same address's budget

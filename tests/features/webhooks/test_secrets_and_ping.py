"""Secret rotation with a grace period, ping, and the delivery log's pages."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from src.app import create_app
from src.core.settings import Settings
from tests.support.accounts import new_account
from tests.support.avatars import new_avatar
from tests.support.http import running_app
from tests.support.problems import assert_problem
from tests.support.webhooks import WEBHOOKS, Receiver, Reply, StubResolver, delivery_log, subscribe, wait_for_log


async def test_after_a_rotation_both_secrets_verify_until_the_grace_period_ends(
    client: httpx.AsyncClient, receiver: Receiver, database_url: str
) -> None:
    owner = await new_account(client)
    webhook = await subscribe(client, owner, receiver.url(), events=["avatar.created"], receiver=receiver)
    old_secret = webhook["secret"]

    rotated = await client.post(f"{WEBHOOKS}/{webhook['id']}/rotate-secret", headers=owner.headers)
    assert rotated.status_code == 200, rotated.text
    new_secret = rotated.json()["secret"]
    assert new_secret.startswith("whsec_")
    assert new_secret != old_secret
    grace_ends = datetime.fromisoformat(rotated.json()["previous_secret_expires_at"])
    assert timedelta(hours=23) < grace_ends - datetime.now(UTC) <= timedelta(hours=24)
    receiver.secrets.append(new_secret)  # secrets: [old, new]

    await new_avatar(client, owner)
    await receiver.wait_until(lambda: len(receiver.delivered()) == 1)
    during_grace = receiver.delivered()[0]
    assert during_grace.type == "avatar.created"
    assert during_grace.verified_by == (0, 1), "a receiver with either secret verifies"
    assert len(during_grace.headers["webhook-signature"].split(" ")) == 2

    # The same holds for ping, which signs like every delivery.
    assert (await client.post(f"{WEBHOOKS}/{webhook['id']}/ping", headers=owner.headers)).json()["delivered"]
    assert receiver.requests[-1].verified_by == (0, 1)

    # Once the grace period is over, only the new secret signs.
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE webhook_endpoints SET previous_secret_expires_at = now() - interval '1 second' WHERE id = $1",
            webhook["id"],
        )
    finally:
        await connection.close()
    await new_avatar(client, owner)
    await receiver.wait_until(lambda: len(receiver.delivered()) == 3)
    after_grace = receiver.delivered()[2]
    assert after_grace.type == "avatar.created"
    assert after_grace.verified_by == (1,)
    assert len(after_grace.headers["webhook-signature"].split(" ")) == 1


async def test_ping_delivers_now_and_reports_the_outcome(client: httpx.AsyncClient, receiver: Receiver) -> None:
    owner = await new_account(client)
    webhook = await subscribe(client, owner, receiver.url("/ping"), receiver=receiver)
    path = f"{WEBHOOKS}/{webhook['id']}/ping"

    ok = await client.post(path, headers=owner.headers)
    assert ok.status_code == 200, ok.text
    assert ok.json()["delivered"] is True
    assert ok.json()["status_code"] == 200
    assert ok.json()["attempts"] == 1
    assert ok.json()["error"] is None
    assert ok.json()["duration_ms"] >= 0
    ping = receiver.of("/ping")[-1]
    assert ping.type == "webhook.ping"
    assert ping.body["data"] == {"webhook_id": webhook["id"]}
    assert ping.verified_by == (0,)
    assert ping.headers["X-Request-ID"] == ok.headers["X-Request-ID"]

    # A receiver's error answer is reported as it is, not retried.
    receiver.answer("/ping", Reply(500))
    failed = (await client.post(path, headers=owner.headers)).json()
    assert (failed["delivered"], failed["status_code"], failed["error"], failed["attempts"]) == (
        False,
        500,
        "http_500",
        1,
    )

    # Ping works on a disabled webhook too: check a receiver before enabling it again.
    await client.patch(f"{WEBHOOKS}/{webhook['id']}", json={"enabled": False}, headers=owner.headers)
    assert (await client.post(path, headers=owner.headers)).json()["delivered"] is True

    # Nothing listening: connection errors are retried, then reported.
    await receiver.stop()
    down = (await client.post(path, headers=owner.headers)).json()
    assert (down["delivered"], down["status_code"], down["error"], down["attempts"]) == (
        False,
        None,
        "connection_error",
        3,
    )
    # Pings are not events: the delivery log stays empty.
    assert await delivery_log(client, owner, webhook["id"]) == []


async def test_the_delivery_log_is_paginated_newest_first(client: httpx.AsyncClient, receiver: Receiver) -> None:
    owner = await new_account(client)
    webhook = await subscribe(client, owner, receiver.url(), events=["avatar.created"], receiver=receiver)
    for n in range(5):
        await new_avatar(client, owner, name=f"Avatar {n}")
    await wait_for_log(client, owner, webhook["id"], lambda log: len(log) == 5)

    first = await client.get(f"{WEBHOOKS}/{webhook['id']}/deliveries?limit=2", headers=owner.headers)
    assert first.status_code == 200
    pages = [first.json()["data"]]
    next_link = first.json()["links"]["next"]
    while next_link:
        page = (await client.get(next_link, headers=owner.headers)).json()
        pages.append(page["data"])
        next_link = page["links"]["next"]
    assert [len(page) for page in pages] == [2, 2, 1]
    ids = [entry["id"] for page in pages for entry in page]
    assert ids == sorted(ids, reverse=True)
    assert len({entry["event_id"] for page in pages for entry in page}) == 5

    bad = await client.get(f"{WEBHOOKS}/{webhook['id']}/deliveries?cursor=AAAA", headers=owner.headers)
    assert_problem(bad, 400, "invalid_cursor")
    other = await subscribe(client, owner, receiver.url("/other"))
    replayed = await client.get(
        f"{WEBHOOKS}/{other['id']}/deliveries?cursor={first.json()['meta']['next_cursor']}", headers=owner.headers
    )
    assert_problem(replayed, 400, "invalid_cursor")


async def test_answers_with_a_secret_are_never_stored(client: httpx.AsyncClient, receiver: Receiver) -> None:
    owner = await new_account(client)
    webhook = await subscribe(client, owner, receiver.url())
    created = await client.post(
        WEBHOOKS, json={"url": receiver.url(), "events": ["avatar.created"]}, headers=owner.headers
    )
    rotated = await client.post(f"{WEBHOOKS}/{webhook['id']}/rotate-secret", headers=owner.headers)
    personal = [
        await client.get(path, headers=owner.headers)
        for path in ("/api/v1/users/me", "/api/v1/auth/sessions", WEBHOOKS, f"{WEBHOOKS}/{webhook['id']}")
    ]

    for response in (created, rotated, *personal):
        assert response.status_code in {200, 201}, response.text
        assert (response.headers["cache-control"], response.headers["pragma"]) == ("no-store", "no-cache")


async def test_a_user_has_one_ping_in_flight_refused_ones_answer_at_once(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await new_account(client)
    webhook = await subscribe(client, owner, receiver.url("/slow"))
    receiver.answer("/slow", then=Reply(200, delay=1.5))
    path = f"{WEBHOOKS}/{webhook['id']}/ping"

    async def ping() -> tuple[int, float]:
        started = time.monotonic()
        response = await client.post(path, headers=owner.headers)
        return response.status_code, time.monotonic() - started

    results = await asyncio.gather(ping(), *(ping() for _ in range(4)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 429, 429, 429, 429]
    assert all(seconds < 1.0 for status, seconds in results if status == 429)  # refused, not queued
    refused = await client.post(path, headers=owner.headers)
    assert refused.status_code == 200  # the place was given back


async def test_pings_are_rate_limited_per_user(settings: Settings, resolver: StubResolver, receiver: Receiver) -> None:
    async with running_app(create_app(settings.with_changes(rate_limit_ping="3/minute"), resolve=resolver)) as client:
        owner, other = await new_account(client), await new_account(client)
        webhook = await subscribe(client, owner, receiver.url("/p"))
        others = await subscribe(client, other, receiver.url("/q"))
        statuses = [
            (await client.post(f"{WEBHOOKS}/{webhook['id']}/ping", headers=owner.headers)).status_code for _ in range(4)
        ]
        other_user = await client.post(f"{WEBHOOKS}/{others['id']}/ping", headers=other.headers)

    assert statuses == [200, 200, 200, 429]
    assert other_user.status_code == 200


async def test_one_users_pings_do_not_slow_anothers_deliveries(
    settings: Settings, resolver: StubResolver, receiver: Receiver
) -> None:
    """The per-host connection cap was shared: 110 slow pings to one host raised another
    user's delivery latency to that host from 0.11 s to 5.95 s. Pings now go through a
    session of their own, so even with one connection per host deliveries keep flowing."""
    narrow = settings.with_changes(http_client_max_connections_per_host=1, webhook_timeout=4.0)
    async with running_app(create_app(narrow, resolve=resolver)) as client:
        pinger, owner = await new_account(client), await new_account(client)
        slow = await subscribe(client, pinger, receiver.url("/slow"))
        await subscribe(client, owner, receiver.url("/hook"), events=["avatar.created"])
        receiver.answer("/slow", then=Reply(200, delay=3.0))
        ping = asyncio.create_task(client.post(f"{WEBHOOKS}/{slow['id']}/ping", headers=pinger.headers))
        async with asyncio.timeout(5):  # the ping is being answered, slowly, on the one connection
            while receiver.in_flight.get("/slow", 0) == 0:
                await asyncio.sleep(0.02)
        created = time.monotonic()
        await new_avatar(client, owner)
        await receiver.wait_until(lambda: len(receiver.delivered("/hook")) == 1, timeout=10)
        delivered_after = receiver.delivered("/hook")[0].at - created
        assert (await ping).status_code == 200

    assert delivered_after < 2.0

"""Deliveries that cannot succeed: given up after the schedule, timed out, or stopped when
an endpoint has failed for too long."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import httpx
import pytest

from src.core.settings import Settings
from tests.support.accounts import new_account
from tests.support.avatars import new_avatar
from tests.support.webhooks import WEBHOOKS, Receiver, Reply, subscribe, wait_for_log, webhook_settings


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Give up after the first retry; a slow receiver times out after half a second.
    return webhook_settings(database_url, webhook_retry_schedule="1s", webhook_timeout=0.5)


async def test_a_delivery_is_given_up_when_the_retry_schedule_is_used_up(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await new_account(client)
    receiver.answer("/broken", then=Reply(503))
    webhook = await subscribe(client, owner, receiver.url("/broken"), events=["avatar.created"], receiver=receiver)
    await new_avatar(client, owner)
    await receiver.wait_until(lambda: len(receiver.of("/broken")) == 2)

    log = await wait_for_log(
        client, owner, webhook["id"], lambda log: len(log) == 2 and log[0]["delivery_status"] == "failed"
    )
    assert [(e["attempt"], e["error"]) for e in log] == [(2, "http_503"), (1, "http_503")]
    assert log[0]["next_attempt_at"] is None
    await asyncio.sleep(1.5)
    assert len(receiver.of("/broken")) == 2, "no attempt after the schedule is used up"


async def test_a_slow_receiver_times_out_without_holding_up_other_endpoints(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await new_account(client)
    receiver.answer("/slow", then=Reply(200, delay=3.0))
    slow = await subscribe(client, owner, receiver.url("/slow"), events=["avatar.created"], receiver=receiver)
    await subscribe(client, owner, receiver.url("/fast"), events=["avatar.created"], receiver=receiver)

    await new_avatar(client, owner)
    await receiver.wait_until(lambda: len(receiver.delivered("/fast")) == 1, timeout=5)
    # The fast endpoint was served while the slow one was still being waited on.
    assert not receiver.of("/slow")

    log = await wait_for_log(client, owner, slow["id"], lambda log: len(log) >= 1)
    assert log[0]["error"] == "timeout"
    assert log[0]["status_code"] is None
    assert 400 <= log[0]["duration_ms"] < 2000

    # More events keep flowing to the fast endpoint while the slow one fails.
    await new_avatar(client, owner)
    await receiver.wait_until(lambda: len(receiver.delivered("/fast")) == 2, timeout=5)


async def test_an_endpoint_failing_for_longer_than_the_limit_is_disabled_with_a_reason(
    client: httpx.AsyncClient, receiver: Receiver, database_url: str
) -> None:
    owner = await new_account(client)
    receiver.answer("/failing", then=Reply(500))
    webhook = await subscribe(client, owner, receiver.url("/failing"), events=["avatar.created"], receiver=receiver)
    # It has been failing for six days already (the limit is five).
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE webhook_endpoints SET failing_since = now() - interval '6 days' WHERE id = $1", webhook["id"]
        )
    finally:
        await connection.close()

    await new_avatar(client, owner)
    async with asyncio.timeout(10):
        while (current := (await client.get(f"{WEBHOOKS}/{webhook['id']}", headers=owner.headers)).json())["enabled"]:
            await asyncio.sleep(0.05)
    assert current["disabled_reason"].startswith("No successful delivery since ")
    assert "http_500" in current["disabled_reason"]
    assert datetime.fromisoformat(current["failing_since"]) < datetime.now(UTC)

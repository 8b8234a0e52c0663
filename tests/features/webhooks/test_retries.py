"""Failed deliveries are retried with the same webhook-id until they succeed; 410 stops them."""

from __future__ import annotations

import asyncio
import itertools

import httpx

from tests.support.accounts import new_account
from tests.support.avatars import new_avatar
from tests.support.webhooks import WEBHOOKS, Receiver, Reply, subscribe, wait_for_log


async def test_500_500_then_200_is_delivered_on_the_third_attempt_with_one_webhook_id(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await new_account(client)
    receiver.answer("/flaky", Reply(500), Reply(500))
    webhook = await subscribe(client, owner, receiver.url("/flaky"), events=["avatar.created"], receiver=receiver)
    await new_avatar(client, owner)

    await receiver.wait_until(lambda: len(receiver.delivered("/flaky")) == 1)

    requests = receiver.of("/flaky")
    assert [r.status for r in requests] == [500, 500, 200]
    assert len({r.webhook_id for r in requests}) == 1, "webhook-id is stable across retries"
    assert all(r.verified_by == (0,) for r in requests)
    assert len({r.headers["webhook-timestamp"] for r in requests}) >= 2, "each attempt is signed anew"
    # Retries wait for the schedule (1 s here, +-20% jitter).
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(requests)]
    assert all(gap >= 0.75 for gap in gaps), gaps

    log = await wait_for_log(client, owner, webhook["id"], lambda log: len(log) == 3)
    assert [(e["attempt"], e["status_code"], e["error"], e["succeeded"]) for e in log] == [
        (3, 200, None, True),
        (2, 500, "http_500", False),
        (1, 500, "http_500", False),
    ]
    assert {e["delivery_status"] for e in log} == {"succeeded"}
    assert all(e["duration_ms"] >= 0 for e in log)
    # Success ends the failure streak.
    current = (await client.get(f"{WEBHOOKS}/{webhook['id']}", headers=owner.headers)).json()
    assert current["failing_since"] is None
    assert current["enabled"] is True


async def test_a_receiver_that_is_down_for_a_while_gets_the_event_when_it_is_back(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await new_account(client)
    webhook = await subscribe(client, owner, receiver.url("/later"), events=["avatar.created"], receiver=receiver)
    await receiver.stop()
    avatar = await new_avatar(client, owner)

    log = await wait_for_log(client, owner, webhook["id"], lambda log: len(log) >= 1)
    assert log[0]["error"] == "connection_error"
    assert log[0]["status_code"] is None
    assert log[0]["delivery_status"] == "pending"
    assert log[0]["next_attempt_at"] is not None
    failing = (await client.get(f"{WEBHOOKS}/{webhook['id']}", headers=owner.headers)).json()
    assert failing["failing_since"] is not None

    await receiver.start()  # same port
    await receiver.wait_until(lambda: len(receiver.delivered("/later")) == 1)
    assert receiver.delivered("/later")[0].body["data"]["avatar"]["id"] == avatar["id"]


async def test_410_gone_disables_the_endpoint_and_stops_its_deliveries(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await new_account(client)
    receiver.answer("/gone", then=Reply(410))
    webhook = await subscribe(client, owner, receiver.url("/gone"), events=["avatar.created"], receiver=receiver)
    await new_avatar(client, owner)
    await receiver.wait_until(lambda: len(receiver.of("/gone")) == 1)

    async with asyncio.timeout(10):
        while (current := (await client.get(f"{WEBHOOKS}/{webhook['id']}", headers=owner.headers)).json())["enabled"]:
            await asyncio.sleep(0.05)
    assert "410" in current["disabled_reason"]
    assert current["disabled_at"] is not None
    log = await wait_for_log(client, owner, webhook["id"], lambda log: len(log) == 1)
    assert [(e["status_code"], e["delivery_status"], e["next_attempt_at"]) for e in log] == [(410, "failed", None)]

    # Disabled: later events are not delivered to it (nor queued for it).
    await new_avatar(client, owner)
    await asyncio.sleep(1.5)
    assert len(receiver.of("/gone")) == 1

    # Its owner can turn it back on; the streak starts afresh.
    receiver.answer("/gone", then=Reply(200))
    enabled = await client.patch(f"{WEBHOOKS}/{webhook['id']}", json={"enabled": True}, headers=owner.headers)
    assert enabled.status_code == 200
    assert enabled.json()["disabled_reason"] is None
    assert enabled.json()["failing_since"] is None
    await new_avatar(client, owner)
    await receiver.wait_until(lambda: len(receiver.delivered("/gone")) == 1)

"""Events reach subscribers: signed, with the right payloads, only their own, at least once."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from src.features.webhooks.signing import USER_AGENT
from tests.support.accounts import new_account
from tests.support.avatars import AVATARS, new_avatar
from tests.support.staff import ADMIN, new_staff
from tests.support.webhooks import Receiver, subscribe, wait_for_log


async def test_an_owner_receives_exactly_the_events_about_their_avatars(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    owner = await new_account(client, display_name="Owner")
    fan = await new_account(client, display_name="Fan")
    webhook = await subscribe(client, owner, receiver.url("/all"), receiver=receiver)
    only_created = await subscribe(
        client, owner, receiver.url("/created"), events=["avatar.created"], receiver=receiver
    )
    # Someone else's subscription and avatar: nothing of it reaches the owner's receiver.
    await subscribe(client, fan, receiver.url("/fan"), events=["avatar.created"])
    await new_avatar(client, fan, name="Not yours")

    created = await client.post(AVATARS, json={"name": "Ada", "color": "#3a7bd5"}, headers=owner.headers)
    assert created.status_code == 201
    avatar = created.json()
    path = f"{AVATARS}/{avatar['id']}"
    assert (await client.put(f"{path}/like", headers=fan.headers)).status_code == 204
    assert (await client.delete(f"{path}/like", headers=fan.headers)).status_code == 204
    assert (await client.patch(path, json={"name": "Ada L."}, headers=owner.headers)).status_code == 200
    assert (await client.delete(path, headers=owner.headers)).status_code == 204

    await receiver.wait_until(lambda: len(receiver.delivered("/all")) == 5 and len(receiver.delivered("/fan")) == 1)

    messages = receiver.delivered("/all")
    assert sorted(m.type for m in messages) == sorted(
        ["avatar.created", "avatar.liked", "avatar.unliked", "avatar.updated", "avatar.deleted"]
    )
    assert all(m.verified_by == (0,) for m in messages), "each message verifies with its webhook's secret"
    assert len({m.webhook_id for m in messages}) == 5
    by_type = {m.type: m for m in messages}
    created_message = by_type["avatar.created"]
    assert created_message.body["data"]["avatar"]["id"] == avatar["id"]
    assert created_message.body["data"]["avatar"]["name"] == "Ada"
    assert created_message.body["data"]["avatar"]["color"] == "#3A7BD5"
    assert created_message.body["timestamp"].endswith("Z")
    assert created_message.headers["X-Request-ID"] == created.headers["X-Request-ID"]
    assert created_message.headers["User-Agent"] == USER_AGENT
    assert created_message.headers["Content-Type"] == "application/json"
    assert by_type["avatar.liked"].body["data"]["actor"] == {"id": fan.id}
    assert by_type["avatar.updated"].body["data"]["avatar"]["name"] == "Ada L."

    # The subscription to avatar.created alone got that one event, nothing else.
    await receiver.wait_until(lambda: len(receiver.delivered("/created")) == 1)
    assert [m.type for m in receiver.of("/created")] == ["avatar.created"]
    assert receiver.of("/created")[0].webhook_id == created_message.webhook_id
    assert receiver.of("/created")[0].verified_by == (1,)
    # The fan's receiver heard of the fan's avatar only.
    assert [m.body["data"]["avatar"]["name"] for m in receiver.of("/fan")] == ["Not yours"]

    log = await wait_for_log(client, owner, webhook["id"], lambda log: len(log) == 5)
    assert {entry["event_type"] for entry in log} == {m.type for m in messages}
    assert all(entry["succeeded"] and entry["status_code"] == 200 and entry["attempt"] == 1 for entry in log)
    assert all(entry["delivery_status"] == "succeeded" and entry["next_attempt_at"] is None for entry in log)
    assert {entry["event_id"] for entry in log} == {m.webhook_id for m in messages}
    await wait_for_log(client, owner, only_created["id"], lambda log: len(log) == 1)


async def test_a_subscription_hears_only_of_events_after_it_was_made(
    client: httpx.AsyncClient, receiver: Receiver, database_url: str
) -> None:
    owner = await new_account(client)
    before = await new_avatar(client, owner, name="Before")
    await subscribe(client, owner, receiver.url(), receiver=receiver)
    after = await new_avatar(client, owner, name="After")

    await receiver.wait_until(lambda: len(receiver.delivered()) >= 1)
    connection = await asyncpg.connect(database_url)
    try:
        await _wait_until_dispatched(connection)
    finally:
        await connection.close()
    ids = [m.body["data"]["avatar"]["id"] for m in receiver.delivered()]
    assert ids == [after["id"]]
    assert before["id"] not in ids


async def _wait_until_dispatched(connection: asyncpg.Connection) -> None:
    async with asyncio.timeout(10):
        while await connection.fetchval("SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL"):
            await asyncio.sleep(0.05)


async def test_the_owner_hears_when_a_moderator_hides_and_restores_an_avatar(
    client: httpx.AsyncClient, receiver: Receiver, database_url: str
) -> None:
    owner = await new_account(client)
    moderator = await new_staff(client, database_url, "moderator")
    await subscribe(client, owner, receiver.url(), events=["avatar.hidden", "avatar.restored"], receiver=receiver)
    avatar = await new_avatar(client, owner, name="Loud")

    for action, reason in (("hide", "Too loud"), ("restore", "Quieter now")):
        answer = await client.post(
            f"{ADMIN}/avatars/{avatar['id']}/{action}", json={"reason": reason}, headers=moderator.headers
        )
        assert answer.status_code == 200, answer.text

    await receiver.wait_until(lambda: len(receiver.delivered()) == 2)
    messages = sorted(receiver.delivered(), key=lambda message: message.type)
    assert [(m.type, m.body["data"]) for m in messages] == [
        ("avatar.hidden", {"avatar": {"id": avatar["id"], "name": "Loud"}, "reason": "Too loud"}),
        ("avatar.restored", {"avatar": {"id": avatar["id"], "name": "Loud"}, "reason": "Quieter now"}),
    ]
    assert all(m.verified_by == (0,) for m in messages)

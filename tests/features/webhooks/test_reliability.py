"""At least once, across restarts, crashes and several instances; nothing for a change
that did not commit; concurrency bounded per endpoint and in total."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from src.app import create_app
from src.core.settings import Settings
from tests.support.accounts import new_account
from tests.support.avatars import AVATARS, new_avatar
from tests.support.http import running_app
from tests.support.webhooks import Receiver, Reply, StubResolver, subscribe, wait_for_log, webhook_settings


async def _event_ids(database_url: str) -> set[str]:
    connection = await asyncpg.connect(database_url)
    try:
        return {str(row[0]) for row in await connection.fetch("SELECT id FROM outbox_events")}
    finally:
        await connection.close()


async def _wait_for_deliveries(database_url: str, count: int) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        async with asyncio.timeout(10):
            while await connection.fetchval("SELECT count(*) FROM webhook_deliveries") < count:
                await asyncio.sleep(0.02)
    finally:
        await connection.close()


async def test_stopping_mid_delivery_loses_nothing(
    settings: Settings, resolver: StubResolver, receiver: Receiver, database_url: str
) -> None:
    receiver.answer("/hook", then=Reply(200, delay=1.0))
    async with running_app(create_app(settings, resolve=resolver)) as first:
        owner = await new_account(first)
        await subscribe(first, owner, receiver.url("/hook"), events=["avatar.created"], receiver=receiver)
        for n in range(6):
            await new_avatar(first, owner, name=f"Avatar {n}")
        # Every event has its delivery row; some are in flight (the receiver takes a
        # second), the rest wait.
        await _wait_for_deliveries(database_url, 6)
        await receiver.wait_until(lambda: sum(receiver.in_flight.values()) >= 1, timeout=10)
    # Stopped: in-flight sends were cancelled and their claims handed back.
    connection = await asyncpg.connect(database_url)
    try:
        states = await connection.fetch("SELECT status, locked_until FROM webhook_deliveries")
    finally:
        await connection.close()
    assert len(states) == 6
    # Nothing is left claimed by the stopped instance.
    assert all(row["status"] in {"pending", "succeeded"} for row in states), states
    assert any(row["status"] == "pending" for row in states)

    receiver.answer("/hook", then=Reply(200))
    async with running_app(create_app(settings, resolve=resolver)):
        events = await _event_ids(database_url)
        await receiver.wait_until(lambda: {r.webhook_id for r in receiver.delivered("/hook")} == events)
    # At least once: a repeat is possible, always with the same webhook-id.
    assert {r.webhook_id for r in receiver.of("/hook")} == events
    assert all(r.verified_by == (0,) for r in receiver.of("/hook"))


async def test_a_claim_left_by_a_dead_worker_is_taken_over_when_its_lease_ends(
    client: httpx.AsyncClient, receiver: Receiver, database_url: str
) -> None:
    owner = await new_account(client)
    webhook = await subscribe(client, owner, receiver.url(), events=["avatar.created"], receiver=receiver)
    connection = await asyncpg.connect(database_url)
    try:
        # An event while the endpoint is disabled: dispatched, but to no delivery.
        await connection.execute("UPDATE webhook_endpoints SET enabled = false WHERE id = $1", webhook["id"])
        await new_avatar(client, owner)
        async with asyncio.timeout(10):
            while await connection.fetchval("SELECT count(*) FROM outbox_events WHERE dispatched_at IS NULL"):
                await asyncio.sleep(0.05)
        # Now a worker "claims" it for a second, and dies.
        await connection.execute(
            """
            INSERT INTO webhook_deliveries (event_id, endpoint_id, status, attempts, locked_until)
            SELECT id, $1, 'delivering', 1, now() + interval '1 second' FROM outbox_events
            """,
            webhook["id"],
        )
        await connection.execute("UPDATE webhook_endpoints SET enabled = true WHERE id = $1", webhook["id"])
    finally:
        await connection.close()

    await receiver.wait_until(lambda: len(receiver.delivered()) == 1)
    log = await wait_for_log(client, owner, webhook["id"], lambda log: len(log) == 1)
    assert log[0]["attempt"] == 2, "the lost attempt counts"
    assert log[0]["delivery_status"] == "succeeded"


async def test_two_instances_deliver_each_event_once(
    settings: Settings, resolver: StubResolver, receiver: Receiver, database_url: str
) -> None:
    async with (
        running_app(create_app(settings, resolve=resolver)) as one,
        running_app(create_app(settings, resolve=resolver)) as two,
    ):
        owner = await new_account(one)
        await subscribe(one, owner, receiver.url(), receiver=receiver)
        await asyncio.gather(*(new_avatar(client, owner, name=f"A{n}") for n in range(12) for client in (one, two)))
        events = await _event_ids(database_url)
        assert len(events) == 24
        await receiver.wait_until(lambda: len(receiver.delivered()) == 24)
        await asyncio.sleep(1.0)  # time for a double delivery to show up, were there one
    assert sorted(r.webhook_id for r in receiver.requests) == sorted(events), "no event delivered twice"


async def test_a_change_that_does_not_commit_sends_nothing(
    client: httpx.AsyncClient, receiver: Receiver, database_url: str
) -> None:
    owner = await new_account(client)
    await subscribe(client, owner, receiver.url(), receiver=receiver)
    connection = await asyncpg.connect(database_url)
    try:
        # The commit itself fails, after the avatar and its event were both written.
        await connection.execute(
            """
            CREATE FUNCTION refuse_doomed() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.name = 'Doomed' THEN RAISE EXCEPTION 'refused at commit'; END IF;
                RETURN NULL;
            END $$;
            CREATE CONSTRAINT TRIGGER refuse_doomed AFTER INSERT ON avatars
                DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_doomed();
            """
        )
        doomed = await client.post(AVATARS, json={"name": "Doomed", "color": "#000000"}, headers=owner.headers)
        assert doomed.status_code == 500
        assert await connection.fetchval("SELECT count(*) FROM avatars") == 0
        assert await connection.fetchval("SELECT count(*) FROM outbox_events") == 0
    finally:
        await connection.close()
    fine = await new_avatar(client, owner, name="Fine")
    # Rejected before any write: a stale If-Match.
    stale = await client.patch(
        f"{AVATARS}/{fine['id']}", json={"name": "Nope"}, headers={**owner.headers, "If-Match": '"999"'}
    )
    assert stale.status_code == 412
    await receiver.wait_until(lambda: len(receiver.delivered()) == 1)
    await asyncio.sleep(1.0)
    assert [(r.type, r.body["data"]["avatar"]["name"]) for r in receiver.requests] == [("avatar.created", "Fine")]


async def test_concurrency_is_bounded_per_endpoint_and_in_total(
    database_url: str, resolver: StubResolver, receiver: Receiver
) -> None:
    settings = webhook_settings(database_url, webhook_concurrency=3, webhook_concurrency_per_endpoint=2)
    async with running_app(create_app(settings, resolve=resolver)) as client:
        owner = await new_account(client)
        for path in ("/a", "/b"):
            receiver.answer(path, then=Reply(200, delay=0.3))
            await subscribe(client, owner, receiver.url(path), events=["avatar.created"], receiver=receiver)
        await asyncio.gather(*(new_avatar(client, owner, name=f"A{n}") for n in range(6)))
        await receiver.wait_until(lambda: len(receiver.delivered()) == 12, timeout=20)
    assert receiver.max_in_flight == {"/a": 2, "/b": 2} or max(receiver.max_in_flight.values()) == 2
    assert max(receiver.max_in_flight.values()) <= 2
    assert receiver.max_total_in_flight == 3


async def test_an_endpoint_with_a_backlog_longer_than_the_claim_window_starves_no_other(
    database_url: str, resolver: StubResolver, receiver: Receiver
) -> None:
    """1,500 deliveries to a slow endpoint, older than anything else, fill the claim's window
    (the 1,000 oldest due rows) with rows that endpoint's limit keeps waiting; another
    endpoint's delivery still goes out at once, not after the backlog."""
    settings = webhook_settings(database_url, webhook_concurrency=4, webhook_concurrency_per_endpoint=2)
    receiver.answer("/slow", then=Reply(200, delay=1.5))
    async with running_app(create_app(settings, resolve=resolver)) as client:
        owner = await new_account(client)
        slow = await subscribe(client, owner, receiver.url("/slow"), events=["avatar.created"], receiver=receiver)
        connection = await asyncpg.connect(database_url)
        try:
            await connection.execute(
                """
                WITH events AS (
                    INSERT INTO outbox_events (id, type, owner_id, data, occurred_at, dispatched_at)
                    SELECT gen_random_uuid(), 'avatar.created', $1, '{"avatar": {}}'::jsonb,
                           now() - interval '1 hour', now()
                    FROM generate_series(1, 1500)
                    RETURNING id, occurred_at
                )
                INSERT INTO webhook_deliveries (event_id, endpoint_id, next_attempt_at)
                SELECT id, $2, occurred_at FROM events
                """,
                owner.id,
                slow["id"],
            )
        finally:
            await connection.close()
        await receiver.wait_until(lambda: receiver.max_in_flight.get("/slow", 0) == 2, timeout=10)
        await subscribe(client, owner, receiver.url("/fast"), events=["avatar.created"], receiver=receiver)
        await new_avatar(client, owner, name="Behind the backlog")
        # The slow endpoint answers each send after 1.5 s, two at a time: its backlog
        # takes over 18 minutes. The other endpoint's message is not behind it.
        await receiver.wait_until(lambda: len(receiver.delivered("/fast")) == 1, timeout=5)
    assert receiver.max_in_flight["/slow"] == 2
    assert len(receiver.delivered("/slow")) < 20

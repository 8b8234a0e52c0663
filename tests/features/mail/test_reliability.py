"""Each message once: nothing for a change that did not commit, nothing lost across a
restart in the middle of a send, and each message once with two instances sending."""

from __future__ import annotations

import asyncio

import asyncpg

from src.app import create_app
from src.core.settings import Settings
from tests.support.http import running_app
from tests.support.mail import MailServer, outbox, wait_for_outbox
from tests.support.probe_routes import probe_router

MAIL = "/api/v1/probe/mail"


async def test_a_change_that_does_not_commit_sends_nothing(
    sending_settings: Settings, mail_server: MailServer, database_url: str
) -> None:
    async with running_app(create_app(sending_settings, features=[probe_router])) as client:
        refused = await client.post(MAIL, json={"to": "rolled.back@example.com", "fail_after_queue": True})
        assert refused.status_code == 409
        committed = await client.post(MAIL, json={"to": "committed@example.com"})
        assert committed.status_code == 201
        await mail_server.wait_for(1)
        await asyncio.sleep(1.0)  # two poll intervals: a rolled-back message would have gone by now

    assert [mail.recipients for mail in mail_server.received] == [["committed@example.com"]]
    assert len(await outbox(database_url)) == 1


async def test_stopping_mid_send_loses_nothing(
    sending_settings: Settings, mail_server: MailServer, database_url: str
) -> None:
    mail_server.hold(30)  # every conversation hangs in DATA
    async with running_app(create_app(sending_settings, features=[probe_router])) as first:
        for n in range(3):
            await first.post(MAIL, json={"to": f"user{n}@example.com"})
        await mail_server.wait_until(lambda server: server.attempts >= 3)
    # Stopped: the sends in flight were cancelled and their claims handed back.
    rows = await outbox(database_url)
    assert [(row["status"], row["attempts"]) for row in rows] == [("pending", 0)] * 3
    assert all(row["message"] is not None for row in rows)

    mail_server.hold(0)
    async with running_app(create_app(sending_settings, features=[probe_router])):
        await mail_server.wait_for(3)
        await wait_for_outbox(database_url, lambda rows: all(row["status"] == "sent" for row in rows))
    assert sorted(mail.recipients[0] for mail in mail_server.received) == [f"user{n}@example.com" for n in range(3)]


async def test_a_claim_left_by_a_dead_worker_is_taken_over_when_its_lease_ends(
    sending_settings: Settings, mail_server: MailServer, database_url: str
) -> None:
    async with running_app(
        create_app(sending_settings.with_changes(mail_sender_enabled=False), features=[probe_router])
    ) as client:
        await client.post(MAIL, json={"to": "ada@example.com"})
    connection = await asyncpg.connect(database_url)
    try:  # as a worker that claimed the message and died would leave it
        await connection.execute(
            "UPDATE mail_outbox SET status = 'sending', attempts = 1, locked_until = now() + interval '1 second'"
        )
    finally:
        await connection.close()

    async with running_app(create_app(sending_settings, features=[probe_router])):
        [received] = await mail_server.wait_for(1)
        [row] = await wait_for_outbox(database_url, lambda rows: rows[0]["status"] == "sent")
    assert received.recipients == ["ada@example.com"]
    assert row["attempts"] == 2


async def test_two_instances_send_each_message_once(
    sending_settings: Settings, mail_server: MailServer, database_url: str
) -> None:
    mail_server.hold(0.05)  # long enough for the two to contend
    async with (
        running_app(create_app(sending_settings, features=[probe_router])) as one,
        running_app(create_app(sending_settings, features=[probe_router])) as two,
    ):
        await asyncio.gather(
            *((one if n % 2 else two).post(MAIL, json={"to": f"user{n}@example.com"}) for n in range(20))
        )
        await mail_server.wait_for(20)
        await wait_for_outbox(database_url, lambda rows: all(row["status"] == "sent" for row in rows))
        await asyncio.sleep(0.5)  # a duplicate would arrive now

    recipients = [mail.recipients[0] for mail in mail_server.received]
    assert sorted(recipients) == sorted(f"user{n}@example.com" for n in range(20))
    assert mail_server.attempts == 20

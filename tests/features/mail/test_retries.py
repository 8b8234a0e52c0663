"""Temporary refusals are retried on MAIL_RETRY_SCHEDULE; permanent ones and a used-up
schedule give the message up, and its body and recipient are wiped either way."""

from __future__ import annotations

import asyncpg
import httpx
from prometheus_client import REGISTRY

from tests.support.mail import MailServer, wait_for_outbox

MAIL = "/api/v1/probe/mail"


def _finished(rows: list[asyncpg.Record]) -> bool:
    return bool(rows) and all(row["status"] in {"sent", "failed"} for row in rows)


async def test_a_temporary_refusal_is_retried_until_accepted(
    mail_client: httpx.AsyncClient, mail_server: MailServer, database_url: str
) -> None:
    mail_server.answer_next("451 4.3.0 Try again later", "421 4.7.0 Busy, closing")

    await mail_client.post(MAIL, json={"to": "ada@example.com"})

    [received] = await mail_server.wait_for(1)
    assert received.recipients == ["ada@example.com"]
    [row] = await wait_for_outbox(database_url, _finished)
    assert row["status"] == "sent"
    assert row["attempts"] == 3
    assert mail_server.attempts == 3


async def test_a_permanent_refusal_gives_up_at_once_and_wipes_the_message(
    mail_client: httpx.AsyncClient, mail_server: MailServer, database_url: str
) -> None:
    labels = {"kind": "probe", "outcome": "failed"}
    before = REGISTRY.get_sample_value("avatar_api_mail_attempts_total", labels) or 0.0
    mail_server.answer_next("550 5.1.1 No such user")

    await mail_client.post(MAIL, json={"to": "nobody@example.com"})

    [row] = await wait_for_outbox(database_url, _finished)
    assert row["status"] == "failed"
    assert row["attempts"] == 1
    assert row["last_error"] == "smtp_550"
    assert row["message"] is None
    assert row["recipient"] is None
    assert mail_server.received == []
    assert (REGISTRY.get_sample_value("avatar_api_mail_attempts_total", labels) or 0.0) == before + 1


async def test_a_message_is_given_up_when_the_schedule_is_used_up(
    mail_client: httpx.AsyncClient, mail_server: MailServer, database_url: str
) -> None:
    # MAIL_RETRY_SCHEDULE is 0s,0s,0s here: the first attempt and three retries.
    mail_server.answer_next(*["451 4.3.0 Try again later"] * 4)

    await mail_client.post(MAIL, json={"to": "ada@example.com"})

    [row] = await wait_for_outbox(database_url, _finished)
    assert row["status"] == "failed"
    assert row["attempts"] == 4
    assert row["last_error"] == "smtp_451"
    assert row["message"] is None
    assert mail_server.received == []

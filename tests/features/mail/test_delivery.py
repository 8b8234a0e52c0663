"""A queued message reaches a real SMTP server: its parts, its headers, its link; TLS and
a login when SMTP_URL asks for them; and once sent, the outbox keeps no copy."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY

from src.app import create_app
from src.core.settings import Settings
from tests.support.accounts import sign_up
from tests.support.http import running_app
from tests.support.logs import LogSink
from tests.support.mail import MailServer, Security, mail_settings, outbox, self_signed_certificate, wait_for_outbox
from tests.support.probe_routes import probe_router

MAIL = "/api/v1/probe/mail"


async def test_a_queued_message_is_sent_with_text_html_and_a_link_from_the_configured_origin(
    mail_client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    response = await mail_client.post(
        MAIL,
        json={"to": "ada@example.com", "token": "tok_123", "display_name": "<Ada & co>"},
        headers={"Host": "evil.example.net"},
    )
    assert response.status_code == 201, response.text

    [received] = await mail_server.wait_for(1)
    assert received.recipients == ["ada@example.com"]
    assert received.envelope_from == "no-reply@localhost"
    assert received.subject == "Probe"
    assert received.message["Auto-Submitted"] == "auto-generated"
    assert str(received.message["Message-ID"]).endswith("@localhost>")
    assert "https://app.example.test/verify-email#token=tok_123" in received.text
    assert "evil.example.net" not in received.text + received.html
    assert received.link_token() == "tok_123"
    assert "&lt;Ada &amp; co&gt;" in received.html, "values are escaped in the HTML part"
    assert "<Ada & co>" in received.text


async def test_a_sent_message_is_wiped_from_the_outbox(
    mail_client: httpx.AsyncClient, mail_server: MailServer, database_url: str
) -> None:
    await mail_client.post(MAIL, json={"to": "ada@example.com"})
    await mail_server.wait_for(1)

    [row] = await wait_for_outbox(database_url, lambda rows: bool(rows) and rows[0]["status"] == "sent")
    assert row["message"] is None
    assert row["recipient"] is None
    assert row["finished_at"] is not None
    assert row["attempts"] == 1


async def test_sent_messages_are_counted(mail_client: httpx.AsyncClient, mail_server: MailServer) -> None:
    labels = {"kind": "probe", "outcome": "sent"}
    before = REGISTRY.get_sample_value("avatar_api_mail_attempts_total", labels) or 0.0
    await mail_client.post(MAIL, json={"to": "ada@example.com"})
    await mail_server.wait_for(1)
    await mail_server.wait_until(
        lambda _: (REGISTRY.get_sample_value("avatar_api_mail_attempts_total", labels) or 0.0) == before + 1
    )


async def test_the_log_names_the_message_but_neither_the_whole_address_nor_the_link(
    mail_client: httpx.AsyncClient, mail_server: MailServer, logs: LogSink
) -> None:
    await mail_client.post(MAIL, json={"to": "ada.lovelace@example.com", "token": "secret_link_token"})
    await mail_server.wait_for(1)
    await mail_server.wait_until(lambda _: bool(logs.events("mail_sent")))
    [line] = logs.events("mail_sent")
    assert line["kind"] == "probe"
    assert line["to"] == "a***@example.com"
    assert "secret_link_token" not in logs.text
    assert "ada.lovelace" not in logs.text


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_tls_with_a_login_and_a_validated_certificate(
    settings: Settings, tmp_path: Path, security: Security
) -> None:
    certificate = self_signed_certificate(tmp_path)
    async with MailServer(security=security, certificate=certificate, login=("mailer", "p@ss:w/rd")) as server:
        # The password is URL-encoded in SMTP_URL, as an operator writes it.
        url = server.url.replace("p@ss:w/rd", "p%40ss%3Aw%2Frd")
        sending = mail_settings(settings, server, smtp_url=url, smtp_ca_file=certificate[0])
        async with running_app(create_app(sending, features=[probe_router])) as client:
            await client.post(MAIL, json={"to": "ada@example.com"})
            [received] = await server.wait_for(1)
    assert received.recipients == ["ada@example.com"]


async def test_a_wrong_login_is_retried_not_given_up(settings: Settings, tmp_path: Path, database_url: str) -> None:
    """535: our credentials are wrong, which an operator fixes; the message waits."""
    certificate = self_signed_certificate(tmp_path)
    async with MailServer(security="tls", certificate=certificate, login=("mailer", "right")) as server:
        url = server.url.replace(":right@", ":wrong@")
        sending = mail_settings(settings, server, smtp_url=url, smtp_ca_file=certificate[0])
        async with running_app(create_app(sending, features=[probe_router])) as client:
            await client.post(MAIL, json={"to": "ada@example.com"})
            rows = await wait_for_outbox(database_url, lambda rows: bool(rows) and rows[0]["attempts"] >= 2)
    assert server.received == []
    assert rows[0]["last_error"] == "smtp_535"


async def test_a_certificate_that_does_not_validate_is_not_sent_to(
    settings: Settings, tmp_path: Path, database_url: str
) -> None:
    """The relay's certificate is checked: without its CA, nothing is handed over."""
    certificate = self_signed_certificate(tmp_path)
    async with MailServer(security="starttls", certificate=certificate) as server:
        sending = mail_settings(settings, server, mail_retry_schedule="60s")
        async with running_app(create_app(sending, features=[probe_router])) as client:
            await client.post(MAIL, json={"to": "ada@example.com"})
            rows = await wait_for_outbox(database_url, lambda rows: bool(rows) and rows[0]["last_error"] is not None)
    assert server.received == []
    assert rows[0]["status"] == "pending", "a TLS failure is retried, not given up"
    assert rows[0]["message"] is not None
    assert len(await outbox(database_url)) == 1


async def test_an_internationalised_address_gets_its_mail_over_smtputf8(
    settings: Settings, mail_server: MailServer, database_url: str
) -> None:
    """The API accepts addresses such as zoë@example.com (RFC 6531); their mail goes out
    with SMTPUTF8 and the address in UTF-8, not as a crash on RCPT (found by the fuzz)."""
    address = "zoë.ünïcode@example.com"
    async with running_app(create_app(mail_settings(settings, mail_server))) as client:
        signed_up = await sign_up(client, email=address)
        assert signed_up.status_code == 201, signed_up.text
        [received] = await mail_server.wait_for(1)
    assert received.recipients == [address]
    assert str(received.message["To"]) == address
    [row] = await wait_for_outbox(database_url, lambda rows: bool(rows) and rows[0]["status"] == "sent")
    assert row["attempts"] == 1


async def test_a_relay_without_smtputf8_gives_up_an_internationalised_address_at_once(
    settings: Settings, database_url: str
) -> None:
    """Retrying cannot help: such a relay can never take the address."""
    async with (
        MailServer(smtputf8=False) as server,
        running_app(create_app(mail_settings(settings, server), features=[probe_router])) as client,
    ):
        await client.post(MAIL, json={"to": "zoë@example.com"})
        await client.post(MAIL, json={"to": "ada@example.com"})
        rows = await wait_for_outbox(
            database_url, lambda rows: len(rows) == 2 and all(row["status"] in {"sent", "failed"} for row in rows)
        )
    by_error = {row["last_error"]: row for row in rows}
    assert by_error["smtputf8_not_offered"]["status"] == "failed"
    assert by_error["smtputf8_not_offered"]["attempts"] == 1
    assert [mail.recipients for mail in server.received] == [["ada@example.com"]], "ASCII mail still goes through"


async def test_an_address_smtp_cannot_carry_is_given_up_at_once(
    mail_client: httpx.AsyncClient, mail_server: MailServer, database_url: str
) -> None:
    """The API's address rule is wider than an SMTP mailbox (found by the fuzz): such a
    message can never be sent, so it fails at once instead of crashing every retry."""
    await mail_client.post(MAIL, json={"to": "ada<x>@example.com"})

    [row] = await wait_for_outbox(database_url, lambda rows: bool(rows) and rows[0]["status"] == "failed")
    assert row["attempts"] == 1
    assert row["last_error"] == "recipient_not_a_mailbox"
    assert mail_server.received == []

"""E-mail verification: sign-up mails a single-use link; the token verifies the address
once; unverified accounts may not create or ping webhooks (403 `email_not_verified`);
the link can be sent again, a limited number of times."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from src.app import create_app
from src.core.data.migrations import apply_migrations, discover_migrations
from src.core.settings import Settings
from tests.conftest import base_settings
from tests.support.accounts import Account, new_account, sign_up, unique_email
from tests.support.api_keys import new_api_key
from tests.support.http import running_app
from tests.support.mail import MailServer, ReceivedMail, mail_settings, outbox
from tests.support.problems import assert_problem
from tests.support.webhooks import StubResolver

VERIFY = "/api/v1/auth/verify-email"
RESEND = "/api/v1/auth/verify-email/resend"
WEBHOOK = {"url": "https://hooks.example.com/in", "events": ["avatar.created"]}
# The webhook's host resolves to a public address (nothing is sent to it here).
RESOLVE = StubResolver({"hooks.example.com": ["93.184.215.14"]})


@pytest.fixture
def verifying_settings(settings: Settings, mail_server: MailServer) -> Settings:
    return mail_settings(settings, mail_server, email_verification_required=True)


@pytest.fixture
async def client(verifying_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(create_app(verifying_settings, resolve=RESOLVE)) as client:
        yield client


async def _verification_mail(server: MailServer, address: str, count: int = 1) -> ReceivedMail:
    await server.wait_until(lambda server: len(server.to(address)) >= count)
    return server.to(address)[count - 1]


async def _profile(client: httpx.AsyncClient, account: Account) -> dict[str, object]:
    response = await client.get("/api/v1/users/me", headers=account.headers)
    assert response.status_code == 200, response.text
    profile: dict[str, object] = response.json()
    return profile


async def test_sign_up_mails_a_link_whose_token_verifies_the_address(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    account = await new_account(client, display_name="Grace")
    assert (await _profile(client, account))["email_verified"] is False

    mail = await _verification_mail(mail_server, account.email)
    assert mail.subject == "Confirm your e-mail address"
    assert "Hello Grace," in mail.text
    assert "https://app.example.test/verify-email#token=" in mail.text
    assert "24 hours" in mail.text
    assert mail.link_token() in mail.html

    verified = await client.post(VERIFY, json={"token": mail.link_token()})
    assert verified.status_code == 204, verified.text
    assert (await _profile(client, account))["email_verified"] is True


async def test_the_html_part_escapes_what_the_user_typed(client: httpx.AsyncClient, mail_server: MailServer) -> None:
    account = await new_account(client, display_name="<b>Ada</b> & co")
    mail = await _verification_mail(mail_server, account.email)

    assert "Hello &lt;b&gt;Ada&lt;/b&gt; &amp; co," in mail.html
    assert "<b>Ada</b>" not in mail.html
    assert "Hello <b>Ada</b> & co," in mail.text


async def test_a_token_works_once(client: httpx.AsyncClient, mail_server: MailServer) -> None:
    account = await new_account(client)
    token = (await _verification_mail(mail_server, account.email)).link_token()
    assert (await client.post(VERIFY, json={"token": token})).status_code == 204

    assert_problem(await client.post(VERIFY, json={"token": token}), 400, "verification_token_invalid")


async def test_an_expired_token_is_refused(
    client: httpx.AsyncClient, mail_server: MailServer, database_url: str
) -> None:
    account = await new_account(client)
    token = (await _verification_mail(mail_server, account.email)).link_token()
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute("UPDATE account_tokens SET expires_at = now() - interval '1 second'")
    finally:
        await connection.close()

    assert_problem(await client.post(VERIFY, json={"token": token}), 400, "verification_token_invalid")
    assert (await _profile(client, account))["email_verified"] is False


@pytest.mark.parametrize("token", ["", "short", "x" * 43 + "=", "a" * 44])
async def test_a_malformed_token_is_refused_by_the_schema(client: httpx.AsyncClient, token: str) -> None:
    assert_problem(await client.post(VERIFY, json={"token": token}), 400, "validation_failed")


async def test_an_unverified_account_may_not_create_or_ping_webhooks(
    client: httpx.AsyncClient, mail_server: MailServer, database_url: str
) -> None:
    account = await new_account(client)

    refused = assert_problem(
        await client.post("/api/v1/webhooks", json=WEBHOOK, headers=account.headers), 403, "email_not_verified"
    )
    assert "POST /api/v1/auth/verify-email" in refused["detail"]

    token = (await _verification_mail(mail_server, account.email)).link_token()
    await client.post(VERIFY, json={"token": token})
    created = await client.post("/api/v1/webhooks", json=WEBHOOK, headers=account.headers)
    assert created.status_code == 201, created.text

    connection = await asyncpg.connect(database_url)
    try:  # as if the address had never been verified
        await connection.execute("UPDATE users SET email_verified_at = NULL WHERE email = $1", account.email)
    finally:
        await connection.close()
    ping = await client.post(f"/api/v1/webhooks/{created.json()['id']}/ping", headers=account.headers)
    assert_problem(ping, 403, "email_not_verified")
    # Reading and deleting its webhooks stays possible.
    assert (await client.get("/api/v1/webhooks", headers=account.headers)).status_code == 200


async def test_an_api_key_of_an_unverified_account_may_not_create_webhooks(
    client: httpx.AsyncClient,
) -> None:
    account = await new_account(client)
    key, _ = await new_api_key(client, account, "webhooks:manage")

    assert_problem(await client.post("/api/v1/webhooks", json=WEBHOOK, headers=key), 403, "email_not_verified")


async def test_with_verification_not_required_unverified_accounts_create_webhooks(
    verifying_settings: Settings,
) -> None:
    unrequired = verifying_settings.with_changes(email_verification_required=False)
    async with running_app(create_app(unrequired, resolve=RESOLVE)) as client:
        account = await new_account(client)
        created = await client.post("/api/v1/webhooks", json=WEBHOOK, headers=account.headers)
    assert created.status_code == 201, created.text


async def test_a_sign_up_that_fails_mails_nothing(
    client: httpx.AsyncClient, mail_server: MailServer, database_url: str
) -> None:
    email = unique_email()
    assert (await sign_up(client, email=email)).status_code == 201
    assert (await sign_up(client, email=email.upper())).status_code == 409
    await _verification_mail(mail_server, email)

    assert [row["kind"] for row in await outbox(database_url)] == ["verify_email"]


async def test_resending_sends_a_new_link_and_the_old_one_stops_working(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    account = await new_account(client)
    first = (await _verification_mail(mail_server, account.email)).link_token()

    resent = await client.post(RESEND, headers=account.headers)
    assert resent.status_code == 202, resent.text
    assert resent.json() == {"expires_in": 86400}
    second = (await _verification_mail(mail_server, account.email, count=2)).link_token()

    assert first != second
    assert_problem(await client.post(VERIFY, json={"token": first}), 400, "verification_token_invalid")
    assert (await client.post(VERIFY, json={"token": second})).status_code == 204
    assert_problem(await client.post(RESEND, headers=account.headers), 409, "email_already_verified")


async def test_resending_is_limited_per_account(verifying_settings: Settings, mail_server: MailServer) -> None:
    async with running_app(create_app(verifying_settings.with_changes(rate_limit_email="2/hour"))) as client:
        account = await new_account(client)
        assert (await client.post(RESEND, headers=account.headers)).status_code == 202
        assert (await client.post(RESEND, headers=account.headers)).status_code == 202
        limited = await client.post(RESEND, headers=account.headers)
        assert_problem(limited, 429, "too_many_emails")
        assert int(limited.headers["retry-after"]) >= 1
        other = await new_account(client)
        assert (await client.post(RESEND, headers=other.headers)).status_code == 202, "each account counts alone"


async def test_resending_needs_a_session(client: httpx.AsyncClient) -> None:
    assert_problem(await client.post(RESEND), 401, "unauthorized")


async def test_accounts_older_than_verification_count_as_verified(empty_database_url: str) -> None:
    """Migration 0012 marks existing accounts verified: they keep their webhooks."""
    migrations = discover_migrations(base_settings().migrations_dir)
    before = [migration for migration in migrations if migration.version < 12]
    connection = await asyncpg.connect(empty_database_url)
    try:
        await apply_migrations(connection, tuple(before), lock_timeout=30)
        await connection.execute(
            "INSERT INTO users (id, email, display_name, password_hash) VALUES (gen_random_uuid(), $1, 'Old', 'x')",
            "old@example.com",
        )
        await apply_migrations(connection, migrations, lock_timeout=30)
        verified = await connection.fetchval("SELECT email_verified_at IS NOT NULL FROM users")
    finally:
        await connection.close()
    assert verified is True

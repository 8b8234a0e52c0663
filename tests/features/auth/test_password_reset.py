"""Password reset: always 202, in similar time, whether or not an account has the address;
a single-use, short-lived link; the new password ends every session; replayed, expired
and foreign tokens are refused; limits per address queue nothing past them."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from src.app import create_app
from src.core.settings import Settings
from tests.support.accounts import PASSWORD, bearer, log_in, new_account, unique_email
from tests.support.http import running_app
from tests.support.mail import MailServer, ReceivedMail, mail_settings, outbox
from tests.support.mfa import complete_login, enrol, start_login
from tests.support.problems import assert_problem

RESET = "/api/v1/auth/password-reset"
CONFIRM = "/api/v1/auth/password-reset/confirm"
NEW_PASSWORD = "a much newer passphrase 2"


@pytest.fixture
def reset_settings(settings: Settings, mail_server: MailServer) -> Settings:
    return mail_settings(settings, mail_server)


@pytest.fixture
async def client(reset_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(create_app(reset_settings)) as client:
        yield client


async def _resets_queued(database_url: str) -> int:
    return sum(row["kind"] == "password_reset" for row in await outbox(database_url))


async def _reset_mail(server: MailServer, address: str, count: int = 1) -> ReceivedMail:
    def resets() -> list[ReceivedMail]:
        return [mail for mail in server.to(address) if mail.subject == "Reset your password"]

    await server.wait_until(lambda _: len(resets()) >= count)
    return resets()[count - 1]


async def test_a_reset_link_sets_a_new_password_and_ends_every_session(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    account = await new_account(client)
    other_session = (await log_in(client, account.email)).json()

    asked = await client.post(RESET, json={"email": account.email.upper()})
    assert asked.status_code == 202, asked.text
    unknown = await client.post(RESET, json={"email": unique_email("nobody")})
    assert (unknown.status_code, unknown.json()) == (202, asked.json()), "the same answer either way"
    mail = await _reset_mail(mail_server, account.email)
    assert "https://app.example.test/reset-password#token=" in mail.text
    assert "30 minutes" in mail.text

    confirmed = await client.post(CONFIRM, json={"token": mail.link_token(), "new_password": NEW_PASSWORD})
    assert confirmed.status_code == 204, confirmed.text

    assert_problem(await log_in(client, account.email, PASSWORD), 401, "invalid_credentials")
    signed_in = await log_in(client, account.email, NEW_PASSWORD)
    assert signed_in.status_code == 200
    profile = await client.get("/api/v1/users/me", headers=bearer(signed_in.json()["access_token"]))
    assert profile.json()["email_verified"] is True, "the link reached the address: it is proven"
    for refresh_token in (account.refresh_token, other_session["refresh_token"]):
        refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": refresh_token})
        assert refreshed.status_code == 401, "every session ended"
    ended = await client.get("/api/v1/users/me", headers=account.headers)
    assert ended.status_code == 401
    await mail_server.wait_until(
        lambda server: any(m.subject == "Your password was reset" for m in server.to(account.email))
    )


async def test_a_token_works_once(client: httpx.AsyncClient, mail_server: MailServer) -> None:
    account = await new_account(client)
    await client.post(RESET, json={"email": account.email})
    token = (await _reset_mail(mail_server, account.email)).link_token()
    assert (await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})).status_code == 204

    replayed = await client.post(CONFIRM, json={"token": token, "new_password": "yet another passphrase 3"})
    assert_problem(replayed, 400, "reset_token_invalid")
    assert (await log_in(client, account.email, NEW_PASSWORD)).status_code == 200


async def test_using_one_link_spends_the_others(client: httpx.AsyncClient, mail_server: MailServer) -> None:
    account = await new_account(client)
    await client.post(RESET, json={"email": account.email})
    await client.post(RESET, json={"email": account.email})
    first = (await _reset_mail(mail_server, account.email, 1)).link_token()
    second = (await _reset_mail(mail_server, account.email, 2)).link_token()

    assert (await client.post(CONFIRM, json={"token": second, "new_password": NEW_PASSWORD})).status_code == 204
    assert_problem(
        await client.post(CONFIRM, json={"token": first, "new_password": "yet another passphrase 3"}),
        400,
        "reset_token_invalid",
    )


async def test_an_expired_token_is_refused(
    client: httpx.AsyncClient, mail_server: MailServer, database_url: str
) -> None:
    account = await new_account(client)
    await client.post(RESET, json={"email": account.email})
    token = (await _reset_mail(mail_server, account.email)).link_token()
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE account_tokens SET expires_at = now() - interval '1 second' WHERE purpose = 'reset_password'"
        )
    finally:
        await connection.close()

    refused = await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})
    assert_problem(refused, 400, "reset_token_invalid")
    assert (await log_in(client, account.email, PASSWORD)).status_code == 200


async def test_a_verification_token_does_not_reset(reset_settings: Settings, mail_server: MailServer) -> None:
    async with running_app(create_app(reset_settings.with_changes(email_verification_required=True))) as client:
        account = await new_account(client)
        await mail_server.wait_until(lambda server: bool(server.to(account.email)))
        [verification] = mail_server.to(account.email)

        refused = await client.post(CONFIRM, json={"token": verification.link_token(), "new_password": NEW_PASSWORD})
        assert_problem(refused, 400, "reset_token_invalid")
        assert (await log_in(client, account.email, PASSWORD)).status_code == 200


async def test_a_weak_new_password_is_refused_and_the_token_kept(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    account = await new_account(client)
    await client.post(RESET, json={"email": account.email})
    token = (await _reset_mail(mail_server, account.email)).link_token()

    weak = await client.post(CONFIRM, json={"token": token, "new_password": account.email})
    assert_problem(weak, 400, "weak_password")
    assert (await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})).status_code == 204


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    client: httpx.AsyncClient, database_url: str
) -> None:
    asked = await client.post(RESET, json={"email": unique_email("nobody")})

    assert asked.status_code == 202
    assert asked.json() == {"detail": "If an account has this address, a link to reset its password is on its way."}
    assert await _resets_queued(database_url) == 0


async def test_known_and_unknown_addresses_take_similar_time(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    for email in (account.email, unique_email("warm-up")):  # the first request of each kind warms caches
        await client.post(RESET, json={"email": email})

    async def timed(email: str) -> float:
        started = time.perf_counter()
        response = await client.post(RESET, json={"email": email})
        assert response.status_code == 202
        return time.perf_counter() - started

    known, unknown = [], []
    for _ in range(4):  # within RATE_LIMIT_EMAIL's default of 5 per address: the known ones all queue
        known.append(await timed(account.email))
        unknown.append(await timed(unique_email("nobody")))
    for _ in range(12):
        unknown.append(await timed(unique_email("nobody")))
        known.append(await timed(account.email))  # past the address's budget: the same work, nothing written
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    assert abs(known_median - unknown_median) < max(known_median, unknown_median) * 0.5 + 0.005, (
        known_median,
        unknown_median,
    )


async def test_past_the_address_limit_a_request_still_answers_202_and_queues_nothing(
    reset_settings: Settings, database_url: str, mail_server: MailServer
) -> None:
    async with running_app(create_app(reset_settings.with_changes(rate_limit_email="2/hour"))) as client:
        account = await new_account(client)
        answers = [(await client.post(RESET, json={"email": account.email})).status_code for _ in range(4)]
        await _reset_mail(mail_server, account.email, 2)
        await asyncio.sleep(0.6)  # more than one poll interval: a third message would be out by now

    assert answers == [202] * 4
    assert await _resets_queued(database_url) == 2
    assert len([mail for mail in mail_server.to(account.email) if mail.subject == "Reset your password"]) == 2


async def test_each_client_is_limited_by_the_auth_policy(reset_settings: Settings) -> None:
    async with running_app(create_app(reset_settings.with_changes(rate_limit_auth="3/minute"))) as client:
        answers = [(await client.post(RESET, json={"email": unique_email()})).status_code for _ in range(4)]
    assert answers == [202, 202, 202, 429]


async def test_a_suspended_account_gets_no_link(client: httpx.AsyncClient, database_url: str) -> None:
    account = await new_account(client)
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE users SET suspended_at = now(), suspension_reason = 'test' WHERE email = $1", account.email
        )
    finally:
        await connection.close()

    assert (await client.post(RESET, json={"email": account.email})).status_code == 202
    assert await _resets_queued(database_url) == 0


async def test_a_reset_token_does_not_verify_an_address(reset_settings: Settings, mail_server: MailServer) -> None:
    async with running_app(create_app(reset_settings.with_changes(email_verification_required=True))) as client:
        account = await new_account(client)
        await client.post(RESET, json={"email": account.email})
        reset = await _reset_mail(mail_server, account.email)

        refused = await client.post("/api/v1/auth/verify-email", json={"token": reset.link_token()})
        assert_problem(refused, 400, "verification_token_invalid")
        profile = await client.get("/api/v1/users/me", headers=account.headers)
        assert profile.json()["email_verified"] is False


async def test_a_reset_ends_a_login_waiting_for_its_code_and_keeps_the_second_factor(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    enrolled = await enrol(client, await new_account(client), window=2)
    waiting = await start_login(client, enrolled.account)  # begun with the old password
    await client.post(RESET, json={"email": enrolled.account.email})
    token = (await _reset_mail(mail_server, enrolled.account.email)).link_token()

    assert (await client.post(CONFIRM, json={"token": token, "new_password": NEW_PASSWORD})).status_code == 204

    stale = await complete_login(client, waiting["mfa_token"], enrolled.app.code())
    assert_problem(stale, 401, "invalid_mfa_token")
    # A reset never skips the second factor: the new password still asks for a code.
    assert_problem(await log_in(client, enrolled.account.email, NEW_PASSWORD), 403, "mfa_required")

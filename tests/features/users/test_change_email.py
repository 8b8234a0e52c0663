"""Changing the e-mail address: it needs the password (counted in the failure budget),
takes effect only when the new address is verified, and tells the old one."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from src.app import create_app
from src.core.settings import Settings
from tests.support.accounts import PASSWORD, log_in, new_account, unique_email
from tests.support.http import running_app
from tests.support.mail import MailServer, ReceivedMail, mail_settings
from tests.support.problems import assert_problem

CHANGE = "/api/v1/users/me/email"
VERIFY = "/api/v1/auth/verify-email"


@pytest.fixture
def change_settings(settings: Settings, mail_server: MailServer) -> Settings:
    return mail_settings(settings, mail_server)


@pytest.fixture
async def client(change_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with running_app(create_app(change_settings)) as client:
        yield client


async def _mail(server: MailServer, address: str, subject: str) -> ReceivedMail:
    def found() -> list[ReceivedMail]:
        return [mail for mail in server.to(address) if mail.subject == subject]

    await server.wait_until(lambda _: bool(found()))
    [mail] = found()
    return mail


async def test_the_change_takes_effect_when_the_new_address_is_verified(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    account = await new_account(client, display_name="Ada")
    new_email = unique_email("moved")

    asked = await client.post(
        CHANGE, json={"new_email": new_email.upper(), "current_password": PASSWORD}, headers=account.headers
    )
    assert asked.status_code == 202, asked.text
    assert asked.json() == {"expires_in": 86400}
    link = await _mail(mail_server, new_email, "Confirm your new e-mail address")
    notice = await _mail(mail_server, account.email, "A change of your e-mail address was asked for")
    assert new_email in notice.text
    profile = (await client.get("/api/v1/users/me", headers=account.headers)).json()
    assert profile["email"] == account.email, "nothing changes before the new address is verified"

    assert (await client.post(VERIFY, json={"token": link.link_token()})).status_code == 204

    profile = (await client.get("/api/v1/users/me", headers=account.headers)).json()
    assert profile["email"] == new_email
    assert profile["email_verified"] is True
    assert (await log_in(client, new_email)).status_code == 200
    assert_problem(await log_in(client, account.email), 401, "invalid_credentials")
    changed = await _mail(mail_server, account.email, "Your e-mail address was changed")
    assert new_email in changed.text
    assert_problem(await client.post(VERIFY, json={"token": link.link_token()}), 400, "verification_token_invalid")


async def test_a_wrong_password_is_refused_and_counts_against_the_budget(change_settings: Settings) -> None:
    async with running_app(create_app(change_settings.with_changes(login_failures_per_account="2/hour"))) as client:
        account = await new_account(client)
        body = {"new_email": unique_email(), "current_password": "not the password"}
        for _ in range(2):
            assert_problem(await client.post(CHANGE, json=body, headers=account.headers), 403, "wrong_password")
        assert_problem(await client.post(CHANGE, json=body, headers=account.headers), 429, "too_many_failed_logins")
        assert_problem(await log_in(client, account.email), 429, "too_many_failed_logins")


async def test_an_address_another_account_has_is_refused(client: httpx.AsyncClient) -> None:
    account, other = await new_account(client), await new_account(client)

    taken = await client.post(
        CHANGE, json={"new_email": other.email, "current_password": PASSWORD}, headers=account.headers
    )
    assert_problem(taken, 409, "email_taken")


async def test_the_own_address_is_refused(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    same = await client.post(
        CHANGE, json={"new_email": account.email, "current_password": PASSWORD}, headers=account.headers
    )
    assert_problem(same, 409, "email_unchanged")


async def test_an_address_taken_before_the_verification_is_refused_then(
    client: httpx.AsyncClient, mail_server: MailServer
) -> None:
    account = await new_account(client)
    new_email = unique_email("contested")
    await client.post(CHANGE, json={"new_email": new_email, "current_password": PASSWORD}, headers=account.headers)
    link = await _mail(mail_server, new_email, "Confirm your new e-mail address")
    signed_up = await client.post(
        "/api/v1/auth/sign-up", json={"email": new_email, "password": PASSWORD, "display_name": "Other"}
    )
    assert signed_up.status_code == 201

    assert_problem(await client.post(VERIFY, json={"token": link.link_token()}), 409, "email_taken")
    profile = (await client.get("/api/v1/users/me", headers=account.headers)).json()
    assert profile["email"] == account.email


async def test_a_new_request_voids_the_earlier_link(client: httpx.AsyncClient, mail_server: MailServer) -> None:
    account = await new_account(client)
    first, second = unique_email("first"), unique_email("second")
    for address in (first, second):
        body = {"new_email": address, "current_password": PASSWORD}
        assert (await client.post(CHANGE, json=body, headers=account.headers)).status_code == 202
    first_link = await _mail(mail_server, first, "Confirm your new e-mail address")

    assert_problem(
        await client.post(VERIFY, json={"token": first_link.link_token()}), 400, "verification_token_invalid"
    )


async def test_api_keys_cannot_change_the_address(client: httpx.AsyncClient) -> None:
    from tests.support.api_keys import new_api_key

    account = await new_account(client)
    key, _ = await new_api_key(client, account, "account:write")
    refused = await client.post(CHANGE, json={"new_email": unique_email(), "current_password": PASSWORD}, headers=key)
    assert_problem(refused, 403, "api_key_not_allowed")

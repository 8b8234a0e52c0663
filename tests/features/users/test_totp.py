"""Two-factor sign-in, self-service: enrol, confirm, status, new backup codes, disable."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg
import httpx
import pyotp
import pytest

from src.app import create_app
from src.core.settings import Settings
from tests.conftest import base_settings
from tests.support.accounts import new_account
from tests.support.api_keys import new_api_key
from tests.support.http import running_app
from tests.support.logs import LogSink
from tests.support.mfa import MFA, Authenticator, enrol
from tests.support.problems import assert_problem

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return base_settings(database_url=database_url, totp_valid_window=2)


async def test_enrolling_answers_the_secret_its_uri_and_a_qr_code_drawn_as_svg(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.post(f"{MFA}/totp", json={"current_password": account.password}, headers=account.headers)

    assert response.status_code == 201
    body = response.json()
    assert body.keys() == {"secret", "otpauth_uri", "qr_svg"}
    assert re.fullmatch(r"[A-Z2-7]{32}", body["secret"])  # 160 bits of base32
    uri = urlsplit(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert unquote(uri.path) == f"/Avatar API:{account.email}"
    assert parse_qs(uri.query) == {"secret": [body["secret"]], "issuer": ["Avatar API"]}
    app = pyotp.parse_uri(body["otpauth_uri"])  # as an authenticator app reads it
    assert isinstance(app, pyotp.TOTP)
    assert app.at(1_700_000_000) == pyotp.TOTP(body["secret"]).at(1_700_000_000)
    svg = ET.fromstring(body["qr_svg"])  # noqa: S314 - our own answer: a well-formed, standalone SVG document
    assert svg.tag == f"{SVG}svg"
    paths = svg.findall(f".//{SVG}path")
    assert paths
    assert all(re.fullmatch(r"[MmHhVvZz0-9 .\-]+", path.attrib["d"]) for path in paths)
    assert "http" not in body["qr_svg"].replace("http://www.w3.org/2000/svg", "")  # nothing fetched from elsewhere


async def test_the_secret_is_stored_sealed_and_logins_do_not_ask_before_confirmation(
    client: httpx.AsyncClient, database_url: str
) -> None:
    account = await new_account(client)
    secret = (
        await client.post(f"{MFA}/totp", json={"current_password": account.password}, headers=account.headers)
    ).json()["secret"]

    connection = await asyncpg.connect(database_url)
    try:
        sealed = await connection.fetchval("SELECT secret_sealed FROM user_totp WHERE user_id = $1", account.id)
    finally:
        await connection.close()
    assert secret.encode() not in sealed
    status = await client.get(MFA, headers=account.headers)
    assert status.json() == {"totp": "pending", "backup_codes_remaining": 0}
    login = await client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    assert login.status_code == 200  # pending: the password alone still signs in


async def test_confirming_turns_it_on_and_answers_ten_backup_codes(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    assert (await client.get(MFA, headers=account.headers)).json() == {"totp": "off", "backup_codes_remaining": 0}

    enrolled = await enrol(client, account, window=2)

    assert len(enrolled.backup_codes) == 10
    assert len(set(enrolled.backup_codes)) == 10
    assert all(
        re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){3}[0-9A-HJKMNP-TV-Z]{4}", code) for code in enrolled.backup_codes
    )
    assert (await client.get(MFA, headers=account.headers)).json() == {"totp": "on", "backup_codes_remaining": 10}
    login = await client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    assert_problem(login, 403, "mfa_required")


async def test_a_wrong_confirmation_code_is_refused_and_keeps_it_pending(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    secret = (
        await client.post(f"{MFA}/totp", json={"current_password": account.password}, headers=account.headers)
    ).json()["secret"]

    wrong = Authenticator(secret, window=2).wrong_code()
    response = await client.post(f"{MFA}/totp/confirm", json={"code": wrong}, headers=account.headers)

    assert_problem(response, 403, "wrong_mfa_code")
    assert (await client.get(MFA, headers=account.headers)).json()["totp"] == "pending"


async def test_confirming_without_an_enrolment_is_a_conflict(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.post(f"{MFA}/totp/confirm", json={"code": "123456"}, headers=account.headers)

    assert_problem(response, 409, "mfa_not_pending")


async def test_enrolling_again_replaces_a_pending_secret_and_is_refused_once_on(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    body = {"current_password": account.password}
    first = (await client.post(f"{MFA}/totp", json=body, headers=account.headers)).json()["secret"]
    second = (await client.post(f"{MFA}/totp", json=body, headers=account.headers)).json()["secret"]
    assert first != second

    old_code = Authenticator(first, window=2).code()
    stale = await client.post(f"{MFA}/totp/confirm", json={"code": old_code}, headers=account.headers)
    assert_problem(stale, 403, "wrong_mfa_code")  # the first secret is gone
    app = Authenticator(second, window=2)
    assert (await client.post(f"{MFA}/totp/confirm", json={"code": app.code()}, headers=account.headers)).is_success

    again = await client.post(f"{MFA}/totp", json=body, headers=account.headers)
    assert_problem(again, 409, "mfa_already_enabled")


async def test_enrolling_needs_the_current_password(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.post(f"{MFA}/totp", json={"current_password": "not my password"}, headers=account.headers)

    assert_problem(response, 403, "wrong_password")
    assert (await client.get(MFA, headers=account.headers)).json()["totp"] == "off"


async def test_the_issuer_is_a_setting(settings: Settings) -> None:
    async with running_app(create_app(settings.with_changes(totp_issuer="Gallery Staging"))) as client:
        account = await new_account(client)
        response = await client.post(
            f"{MFA}/totp", json={"current_password": account.password}, headers=account.headers
        )

    assert parse_qs(urlsplit(response.json()["otpauth_uri"]).query)["issuer"] == ["Gallery Staging"]


async def test_new_backup_codes_need_a_code_and_replace_the_old_ones(client: httpx.AsyncClient) -> None:
    enrolled = await enrol(client, await new_account(client), window=2)
    headers = enrolled.account.headers

    wrong = await client.post(f"{MFA}/backup-codes", json={"code": enrolled.app.wrong_code()}, headers=headers)
    assert_problem(wrong, 403, "wrong_mfa_code")
    fresh = await client.post(f"{MFA}/backup-codes", json={"code": enrolled.app.code()}, headers=headers)

    assert fresh.status_code == 200
    codes = fresh.json()["backup_codes"]
    assert len(codes) == 10
    assert not set(codes) & set(enrolled.backup_codes)
    old = await client.post(f"{MFA}/backup-codes", json={"code": enrolled.backup_codes[0]}, headers=headers)
    assert_problem(old, 403, "wrong_mfa_code")  # the old codes stopped working
    by_backup_code = await client.post(f"{MFA}/backup-codes", json={"code": codes[0]}, headers=headers)
    assert by_backup_code.status_code == 200  # a backup code proves the factor too
    assert (await client.get(MFA, headers=headers)).json()["backup_codes_remaining"] == 10


async def test_new_backup_codes_without_totp_on_are_a_conflict(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.post(f"{MFA}/backup-codes", json={"code": "123456"}, headers=account.headers)

    assert_problem(response, 409, "mfa_not_enabled")


async def test_disabling_needs_the_password_and_a_code(
    client: httpx.AsyncClient, database_url: str, logs: LogSink
) -> None:
    enrolled = await enrol(client, await new_account(client), window=2)
    account, app = enrolled.account, enrolled.app

    async def disable(password: str, code: str) -> httpx.Response:
        body = {"current_password": password, "code": code}
        return await client.request("DELETE", f"{MFA}/totp", json=body, headers=account.headers)

    assert_problem(await disable("not my password", app.code()), 403, "wrong_password")
    assert_problem(await disable(account.password, app.wrong_code()), 403, "wrong_mfa_code")
    missing_code = await client.request(
        "DELETE", f"{MFA}/totp", json={"current_password": account.password}, headers=account.headers
    )
    assert_problem(missing_code, 400, "validation_failed")
    assert (await client.get(MFA, headers=account.headers)).json()["totp"] == "on"

    done = await disable(account.password, app.code())

    assert done.status_code == 204
    assert [event["user_id"] for event in logs.events("totp_enabled")] == [account.id]
    assert [event["user_id"] for event in logs.events("totp_disabled")] == [account.id]
    assert not any(code in logs.text for code in enrolled.backup_codes)  # never a code in a log line
    assert app.secret not in logs.text
    assert (await client.get(MFA, headers=account.headers)).json() == {"totp": "off", "backup_codes_remaining": 0}
    connection = await asyncpg.connect(database_url)
    try:
        left = await connection.fetchval("SELECT count(*) FROM mfa_backup_codes WHERE user_id = $1", account.id)
    finally:
        await connection.close()
    assert left == 0
    login = await client.post("/api/v1/auth/login", json={"email": account.email, "password": account.password})
    assert login.status_code == 200
    assert_problem(await disable(account.password, "123456"), 409, "mfa_not_enabled")


async def test_a_backup_code_disables_it_too(client: httpx.AsyncClient) -> None:
    """The phone is lost: the password and a backup code turn the second factor off."""
    enrolled = await enrol(client, await new_account(client), window=2)
    body = {"current_password": enrolled.account.password, "code": enrolled.backup_codes[3].lower()}

    response = await client.request("DELETE", f"{MFA}/totp", json=body, headers=enrolled.account.headers)

    assert response.status_code == 204


async def test_wrong_codes_count_against_the_accounts_budget(settings: Settings) -> None:
    async with running_app(create_app(settings.with_changes(login_failures_per_account="3/hour"))) as client:
        enrolled = await enrol(client, await new_account(client), window=2)
        headers = enrolled.account.headers
        statuses = [
            (await client.post(f"{MFA}/backup-codes", json={"code": enrolled.app.wrong_code()}, headers=headers))
            for _ in range(3)
        ]
        locked = await client.post(f"{MFA}/backup-codes", json={"code": enrolled.app.code()}, headers=headers)
        login = await client.post(
            "/api/v1/auth/login", json={"email": enrolled.account.email, "password": enrolled.account.password}
        )

    assert [response.status_code for response in statuses] == [403, 403, 403]
    assert_problem(locked, 429, "too_many_failed_logins")
    assert_problem(login, 429, "too_many_failed_logins")  # one budget: passwords and codes alike


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", MFA, None),
        ("POST", f"{MFA}/totp", {"current_password": "correct horse battery staple"}),
        ("POST", f"{MFA}/totp/confirm", {"code": "123456"}),
        ("POST", f"{MFA}/backup-codes", {"code": "123456"}),
        ("DELETE", f"{MFA}/totp", {"current_password": "correct horse battery staple", "code": "123456"}),
    ],
)
async def test_an_api_key_never_manages_the_second_factor(
    client: httpx.AsyncClient, method: str, path: str, body: dict[str, str] | None
) -> None:
    account = await new_account(client)
    key_headers, _ = await new_api_key(client, account, "account:read", "account:write")

    response = await client.request(method, path, json=body, headers=key_headers)

    assert_problem(response, 403, "api_key_not_allowed")


async def test_without_a_token_it_is_401(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get(MFA), 401, "unauthorized")

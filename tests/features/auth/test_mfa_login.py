"""Logging in with TOTP on: the password answers `mfa_required`, a code completes it, at
/login + /login/mfa and at the OAuth 2 token endpoint alike."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import jwt
import pyotp
import pytest

from src.app import create_app
from src.core.security.sealing import Sealer, generate_data_key
from src.core.settings import Settings
from src.features.auth.expire_mfa_challenges.handler import expire_mfa_challenges
from tests.conftest import base_settings
from tests.support.accounts import bearer, log_in, new_account
from tests.support.http import running_app
from tests.support.jobs import job_context
from tests.support.mfa import EnrolledAccount, complete_login, enrol, start_login
from tests.support.problems import assert_problem

TOKEN = "/api/v1/auth/token"
MFA_GRANT = "urn:avatar-api:oauth:grant-type:mfa-otp"


@pytest.fixture
def settings(database_url: str) -> Settings:
    return base_settings(database_url=database_url, totp_valid_window=2)


async def enrolled_account(client: httpx.AsyncClient) -> EnrolledAccount:
    return await enrol(client, await new_account(client), window=2)


async def fetch(database_url: str, query: str, *args: Any) -> Any:
    connection = await asyncpg.connect(database_url)
    try:
        return await connection.fetchval(query, *args)
    finally:
        await connection.close()


# --- the JSON login ------------------------------------------------------------------------


async def test_the_password_answers_mfa_required_with_a_challenge_and_no_tokens(
    client: httpx.AsyncClient, database_url: str
) -> None:
    enrolled = await enrolled_account(client)

    response = await log_in(client, enrolled.account.email, enrolled.account.password)

    problem = assert_problem(response, 403, "mfa_required")
    assert "access_token" not in problem
    assert "refresh_token" not in problem
    assert len(problem["mfa_token"]) >= 43
    assert problem["mfa_token_expires_in"] == 300
    stored = await fetch(database_url, "SELECT count(*) FROM mfa_challenges WHERE user_id = $1", enrolled.account.id)
    assert stored == 1
    stored_hash = await fetch(
        database_url, "SELECT token_hash FROM mfa_challenges WHERE user_id = $1", enrolled.account.id
    )
    assert stored_hash == hashlib.sha256(problem["mfa_token"].encode()).digest()  # never in clear
    assert response.headers["cache-control"] == "no-store"


async def test_a_code_completes_the_login_with_the_usual_token_pair(client: httpx.AsyncClient) -> None:
    enrolled = await enrolled_account(client)
    challenge = await start_login(client, enrolled.account)

    response = await complete_login(client, challenge["mfa_token"], enrolled.app.code())

    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens.keys() == {"access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in"}
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"] == enrolled.account.id
    me = await client.get("/api/v1/users/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200


async def test_a_code_is_accepted_once_in_its_window(client: httpx.AsyncClient) -> None:
    enrolled = await enrolled_account(client)
    code = enrolled.app.code()
    first = await complete_login(client, (await start_login(client, enrolled.account))["mfa_token"], code)
    assert first.status_code == 200

    replay = await complete_login(client, (await start_login(client, enrolled.account))["mfa_token"], code)

    assert_problem(replay, 401, "invalid_mfa_code")
    later = await complete_login(
        client, (await start_login(client, enrolled.account))["mfa_token"], enrolled.app.code()
    )
    assert later.status_code == 200  # the next step's code still works


async def test_an_older_code_than_the_last_accepted_is_refused_too(client: httpx.AsyncClient) -> None:
    enrolled = await enrolled_account(client)
    older, newer = enrolled.app.code(), enrolled.app.code()
    assert (await complete_login(client, (await start_login(client, enrolled.account))["mfa_token"], newer)).is_success

    response = await complete_login(client, (await start_login(client, enrolled.account))["mfa_token"], older)

    assert_problem(response, 401, "invalid_mfa_code")


async def test_the_confirming_code_cannot_sign_in(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    secret = (
        await client.post(
            "/api/v1/users/me/mfa/totp", json={"current_password": account.password}, headers=account.headers
        )
    ).json()["secret"]
    code = pyotp.TOTP(secret).at(datetime.now(UTC))
    confirmed = await client.post("/api/v1/users/me/mfa/totp/confirm", json={"code": code}, headers=account.headers)
    assert confirmed.status_code == 200

    response = await complete_login(client, (await start_login(client, account))["mfa_token"], code)

    assert_problem(response, 401, "invalid_mfa_code")


async def test_a_backup_code_signs_in_once(client: httpx.AsyncClient) -> None:
    enrolled = await enrolled_account(client)
    code = enrolled.backup_codes[0]

    first = await complete_login(client, (await start_login(client, enrolled.account))["mfa_token"], code)
    again = await complete_login(client, (await start_login(client, enrolled.account))["mfa_token"], code)

    assert first.status_code == 200
    assert_problem(again, 401, "invalid_mfa_code")
    status = await client.get("/api/v1/users/me/mfa", headers=enrolled.account.headers)
    assert status.json()["backup_codes_remaining"] == 9


async def test_a_backup_code_may_be_typed_loosely(client: httpx.AsyncClient) -> None:
    enrolled = await enrolled_account(client)
    typed = enrolled.backup_codes[1].replace("-", " ").lower().replace("0", "o").replace("1", "l")

    response = await complete_login(client, (await start_login(client, enrolled.account))["mfa_token"], typed)

    assert response.status_code == 200, response.text


async def test_wrong_codes_run_into_the_accounts_budget(settings: Settings) -> None:
    limited = settings.with_changes(login_failures_per_account="4/hour", mfa_challenge_max_attempts=20)
    async with running_app(create_app(limited)) as client:
        enrolled = await enrolled_account(client)
        challenge = (await start_login(client, enrolled.account))["mfa_token"]
        wrong = [await complete_login(client, challenge, enrolled.app.wrong_code()) for _ in range(4)]
        locked = await complete_login(client, challenge, enrolled.app.code())
        password = await log_in(client, enrolled.account.email, enrolled.account.password)

    for response in wrong:
        assert_problem(response, 401, "invalid_mfa_code")
    problem = assert_problem(locked, 429, "too_many_failed_logins")
    assert int(locked.headers["retry-after"]) > 0
    assert "mfa_token" not in problem
    assert_problem(password, 429, "too_many_failed_logins")  # one budget for passwords and codes


async def test_a_challenge_is_spent_after_its_attempts(settings: Settings) -> None:
    async with running_app(create_app(settings.with_changes(mfa_challenge_max_attempts=2))) as client:
        enrolled = await enrolled_account(client)
        challenge = (await start_login(client, enrolled.account))["mfa_token"]
        wrong = [await complete_login(client, challenge, enrolled.app.wrong_code()) for _ in range(2)]
        right_too_late = await complete_login(client, challenge, enrolled.app.code())

    assert [response.json()["code"] for response in wrong] == ["invalid_mfa_code", "invalid_mfa_code"]
    assert_problem(right_too_late, 401, "invalid_mfa_token")


async def test_a_challenge_is_used_once(client: httpx.AsyncClient) -> None:
    enrolled = await enrolled_account(client)
    challenge = (await start_login(client, enrolled.account))["mfa_token"]
    assert (await complete_login(client, challenge, enrolled.app.code())).status_code == 200

    response = await complete_login(client, challenge, enrolled.app.code())

    assert_problem(response, 401, "invalid_mfa_token")


async def test_an_expired_challenge_is_refused(client: httpx.AsyncClient, database_url: str) -> None:
    enrolled = await enrolled_account(client)
    challenge = (await start_login(client, enrolled.account))["mfa_token"]
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE mfa_challenges SET expires_at = now() - interval '1 second' WHERE user_id = $1",
            enrolled.account.id,
        )
    finally:
        await connection.close()

    response = await complete_login(client, challenge, enrolled.app.code())

    assert_problem(response, 401, "invalid_mfa_token")


async def test_the_challenge_lives_as_configured(settings: Settings, database_url: str) -> None:
    async with running_app(create_app(settings.with_changes(mfa_challenge_ttl_seconds=120))) as client:
        enrolled = await enrolled_account(client)
        challenge = await start_login(client, enrolled.account)

    assert challenge["mfa_token_expires_in"] == 120
    lifetime = await fetch(
        database_url,
        "SELECT extract(epoch FROM expires_at - created_at) FROM mfa_challenges WHERE user_id = $1",
        enrolled.account.id,
    )
    assert 119 <= float(lifetime) <= 121


async def test_unknown_and_foreign_challenges_are_refused(client: httpx.AsyncClient) -> None:
    """A challenge is the login of one account: another account's code does not complete
    it, and a made-up token is as unknown as an expired one."""
    ada, grace = await enrolled_account(client), await enrolled_account(client)
    adas_challenge = (await start_login(client, ada.account))["mfa_token"]

    made_up = await complete_login(client, "x" * 43, ada.app.code())
    with_graces_code = await complete_login(client, adas_challenge, grace.app.code())
    with_graces_backup_code = await complete_login(client, adas_challenge, grace.backup_codes[0])

    assert_problem(made_up, 401, "invalid_mfa_token")
    assert_problem(with_graces_code, 401, "invalid_mfa_code")
    assert_problem(with_graces_backup_code, 401, "invalid_mfa_code")
    status = await client.get("/api/v1/users/me/mfa", headers=grace.account.headers)
    assert status.json()["backup_codes_remaining"] == 10  # grace's code was not spent on ada's login


async def test_a_suspended_account_cannot_complete(client: httpx.AsyncClient, database_url: str) -> None:
    enrolled = await enrolled_account(client)
    challenge = (await start_login(client, enrolled.account))["mfa_token"]
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            "UPDATE users SET suspended_at = now(), suspension_reason = 'test' WHERE id = $1", enrolled.account.id
        )
    finally:
        await connection.close()

    assert_problem(await complete_login(client, challenge, enrolled.app.code()), 401, "invalid_mfa_token")


async def test_a_password_change_ends_a_login_waiting_for_its_code(client: httpx.AsyncClient) -> None:
    """The challenge proves the old password: once that changed, it completes nothing."""
    enrolled = await enrolled_account(client)
    challenge = (await start_login(client, enrolled.account))["mfa_token"]
    changed = await client.post(
        "/api/v1/users/me/password",
        json={"current_password": enrolled.account.password, "new_password": "another long unusual secret"},
        headers=enrolled.account.headers,
    )
    assert changed.status_code == 204

    assert_problem(await complete_login(client, challenge, enrolled.app.code()), 401, "invalid_mfa_token")


async def test_a_rotated_data_key_still_opens_the_secret_and_seals_it_again(
    settings: Settings, database_url: str
) -> None:
    async with running_app(create_app(settings)) as client:
        enrolled = await enrolled_account(client)
    before = await fetch(database_url, "SELECT secret_sealed FROM user_totp WHERE user_id = $1", enrolled.account.id)
    rotated = settings.with_changes(
        data_encryption_key=generate_data_key(), data_encryption_previous_keys=(settings.data_encryption_key,)
    )

    async with running_app(create_app(rotated)) as client:
        challenge = (await start_login(client, enrolled.account))["mfa_token"]
        completed = await complete_login(client, challenge, enrolled.app.code())

    assert completed.status_code == 200, completed.text
    after = await fetch(database_url, "SELECT secret_sealed FROM user_totp WHERE user_id = $1", enrolled.account.id)
    assert after != before
    assert not Sealer.from_settings(rotated).sealed_with_previous(after)  # under the new key now
    async with running_app(create_app(rotated.with_changes(data_encryption_previous_keys=()))) as client:
        challenge = (await start_login(client, enrolled.account))["mfa_token"]
        again = await complete_login(client, challenge, enrolled.app.code())
    assert again.status_code == 200, again.text  # the old key is no longer needed


async def test_concurrent_completions_open_one_session(client: httpx.AsyncClient, database_url: str) -> None:
    enrolled = await enrolled_account(client)
    challenge = (await start_login(client, enrolled.account))["mfa_token"]
    codes = [enrolled.app.code(), *enrolled.backup_codes[:5]]  # each a valid code on its own
    sessions_before = await fetch(database_url, "SELECT count(*) FROM sessions WHERE user_id = $1", enrolled.account.id)

    responses = await asyncio.gather(*(complete_login(client, challenge, code) for code in codes))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200, 401, 401, 401, 401, 401]
    assert {response.json()["code"] for response in responses if response.status_code == 401} == {"invalid_mfa_token"}
    sessions = await fetch(database_url, "SELECT count(*) FROM sessions WHERE user_id = $1", enrolled.account.id)
    assert sessions == sessions_before + 1
    # The losers' backup codes were not spent: their transactions rolled back.
    used = await fetch(
        database_url,
        "SELECT count(*) FROM mfa_backup_codes WHERE user_id = $1 AND used_at IS NOT NULL",
        enrolled.account.id,
    )
    assert used <= 1


async def test_a_malformed_code_is_invalid_input(client: httpx.AsyncClient) -> None:
    enrolled = await enrolled_account(client)
    challenge = (await start_login(client, enrolled.account))["mfa_token"]

    response = await complete_login(client, challenge, "12\x0034")

    assert_problem(response, 400, "validation_failed")


async def test_the_second_step_uses_the_strict_policy(settings: Settings) -> None:
    async with running_app(create_app(settings.with_changes(rate_limit_auth="2/minute"))) as client:
        statuses = [(await complete_login(client, "x" * 43, "123456")).status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


async def test_the_expiry_job_removes_challenges_an_hour_after_they_expired(
    client: httpx.AsyncClient, settings: Settings, database_url: str
) -> None:
    enrolled = await enrolled_account(client)
    for _ in range(3):
        await start_login(client, enrolled.account)
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            """UPDATE mfa_challenges SET expires_at = now() - interval '2 hours'
               WHERE token_hash IN (SELECT token_hash FROM mfa_challenges WHERE user_id = $1 LIMIT 2)""",
            enrolled.account.id,
        )
    finally:
        await connection.close()

    async with job_context(settings, database_url) as context:
        removed = await expire_mfa_challenges(context)

    assert removed == 2
    assert await fetch(database_url, "SELECT count(*) FROM mfa_challenges WHERE user_id = $1", enrolled.account.id) == 1


# --- the OAuth 2 token endpoint ------------------------------------------------------------


async def test_the_token_endpoint_answers_mfa_required_in_oauth_style_then_the_otp_grant(
    client: httpx.AsyncClient,
) -> None:
    enrolled = await enrolled_account(client)
    password = {"grant_type": "password", "username": enrolled.account.email, "password": enrolled.account.password}

    refused = await client.post(TOKEN, data=password)

    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/json"
    body = refused.json()
    assert body.keys() == {"error", "error_description", "mfa_token", "mfa_token_expires_in"}
    assert body["error"] == "mfa_required"
    granted = await client.post(
        TOKEN, data={"grant_type": MFA_GRANT, "mfa_token": body["mfa_token"], "otp": enrolled.app.code()}
    )
    assert granted.status_code == 200, granted.text
    assert granted.json()["token_type"] == "Bearer"
    assert (await client.get("/api/v1/users/me", headers=bearer(granted.json()["access_token"]))).status_code == 200


async def test_the_otp_grant_refuses_in_oauth_terms(client: httpx.AsyncClient) -> None:
    enrolled = await enrolled_account(client)
    challenge = (await start_login(client, enrolled.account))["mfa_token"]  # a JSON challenge serves the form too

    wrong_code = await client.post(
        TOKEN, data={"grant_type": MFA_GRANT, "mfa_token": challenge, "otp": enrolled.app.wrong_code()}
    )
    unknown = await client.post(TOKEN, data={"grant_type": MFA_GRANT, "mfa_token": "x" * 43, "otp": "123456"})
    missing = await client.post(TOKEN, data={"grant_type": MFA_GRANT, "mfa_token": challenge})
    mixed = await client.post(
        TOKEN, data={"grant_type": MFA_GRANT, "mfa_token": challenge, "otp": "123456", "password": "x"}
    )
    otp_on_password = await client.post(
        TOKEN,
        data={"grant_type": "password", "username": enrolled.account.email, "password": "x", "otp": "123456"},
    )

    for response, error in (
        (wrong_code, "invalid_grant"),
        (unknown, "invalid_grant"),
        (missing, "invalid_request"),
        (mixed, "invalid_request"),
        (otp_on_password, "invalid_request"),
    ):
        assert response.status_code == 400, response.text
        assert response.json().keys() == {"error", "error_description"}
        assert response.json()["error"] == error
    completed = await client.post(
        TOKEN, data={"grant_type": MFA_GRANT, "mfa_token": challenge, "otp": enrolled.backup_codes[0]}
    )
    assert completed.status_code == 200


async def test_codes_spent_at_either_door_are_spent_at_both(client: httpx.AsyncClient) -> None:
    enrolled = await enrolled_account(client)
    code = enrolled.app.code()
    json_challenge = (await start_login(client, enrolled.account))["mfa_token"]
    assert (await complete_login(client, json_challenge, code)).status_code == 200
    password = {"grant_type": "password", "username": enrolled.account.email, "password": enrolled.account.password}
    form_challenge = (await client.post(TOKEN, data=password)).json()["mfa_token"]

    replay = await client.post(TOKEN, data={"grant_type": MFA_GRANT, "mfa_token": form_challenge, "otp": code})

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"


async def test_an_account_without_totp_logs_in_with_its_password_alone(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    assert (await log_in(client, account.email, account.password)).status_code == 200
    password = {"grant_type": "password", "username": account.email, "password": account.password}
    assert (await client.post(TOKEN, data=password)).status_code == 200

from __future__ import annotations

import httpx

from src.app import create_app
from src.core.settings import Settings
from tests.support.accounts import delete_account, log_in, new_account, sign_up
from tests.support.http import running_app
from tests.support.problems import assert_problem

NEW_PASSWORD = "a brand new passphrase"


async def test_deleting_the_account_ends_every_session_at_once(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    second_device = (await log_in(client, account.email)).json()

    response = await delete_account(client, account)

    assert response.status_code == 204
    assert_problem(await client.get("/api/v1/users/me", headers=account.headers), 401, "invalid_token")
    headers = {"Authorization": f"Bearer {second_device['access_token']}"}
    assert_problem(await client.patch("/api/v1/users/me", json={}, headers=headers), 401, "invalid_token")
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": second_device["refresh_token"]})
    assert_problem(refreshed, 401, "invalid_token")


async def test_a_deleted_accounts_address_can_sign_up_again(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    await delete_account(client, account)

    again = await sign_up(client, email=account.email)

    assert again.status_code == 201
    assert again.json()["id"] != account.id


async def test_changing_the_password_ends_the_other_sessions_only(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    other_device = (await log_in(client, account.email)).json()
    other_headers = {"Authorization": f"Bearer {other_device['access_token']}"}

    response = await client.post(
        "/api/v1/users/me/password",
        json={"current_password": account.password, "new_password": NEW_PASSWORD},
        headers=account.headers,
    )

    assert response.status_code == 204
    assert (await client.get("/api/v1/users/me", headers=account.headers)).status_code == 200
    assert_problem(await client.patch("/api/v1/users/me", json={}, headers=other_headers), 401, "invalid_token")
    assert_problem(await log_in(client, account.email, account.password), 401, "invalid_credentials")
    assert (await log_in(client, account.email, NEW_PASSWORD)).status_code == 200


async def test_the_current_password_is_required(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    response = await client.post(
        "/api/v1/users/me/password",
        json={"current_password": "not my password", "new_password": NEW_PASSWORD},
        headers=account.headers,
    )

    assert_problem(response, 403, "wrong_password")
    assert (await log_in(client, account.email, account.password)).status_code == 200


async def test_the_new_password_follows_the_rules(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    for new_password in ("short", "\U0001f511" * 100):
        response = await client.post(
            "/api/v1/users/me/password",
            json={"current_password": account.password, "new_password": new_password},
            headers=account.headers,
        )
        problem = assert_problem(response, 400, "validation_failed")
        assert problem["errors"][0]["pointer"] == "#/new_password"


async def test_deleting_the_account_needs_the_current_password(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    missing = await client.request("DELETE", "/api/v1/users/me", headers=account.headers)
    assert_problem(missing, 400, "body_required")
    assert_problem(await delete_account(client, account, "not my password"), 403, "wrong_password")
    assert (await client.get("/api/v1/users/me", headers=account.headers)).status_code == 200

    assert (await delete_account(client, account)).status_code == 204


async def test_wrong_current_passwords_spend_the_same_budget_as_failed_logins(settings: Settings) -> None:
    """Changing the password was an unmetered oracle: 40 guesses, then the right one, answered 204."""
    async with running_app(create_app(settings.with_changes(login_failures_per_account="5/hour"))) as client:
        account = await new_account(client)

        async def guess(password: str) -> int:
            body = {"current_password": password, "new_password": NEW_PASSWORD}
            response = await client.post("/api/v1/users/me/password", json=body, headers=account.headers)
            return response.status_code

        statuses = [await guess(f"guess number {attempt}") for attempt in range(8)]
        right_one = await guess(account.password)
        deleting = await delete_account(client, account)
        logging_in = await log_in(client, account.email, account.password)

    assert statuses == [403] * 5 + [429] * 3
    assert right_one == 429
    assert_problem(deleting, 429, "too_many_failed_logins")
    assert_problem(logging_in, 429, "too_many_failed_logins")  # one budget per account, whatever asks


async def test_the_new_password_may_not_be_common_or_the_account_itself(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    for new_password in ("1234567890", account.email):
        response = await client.post(
            "/api/v1/users/me/password",
            json={"current_password": account.password, "new_password": new_password},
            headers=account.headers,
        )
        problem = assert_problem(response, 400, "weak_password")
        assert problem["errors"][0]["pointer"] == "#/new_password"
    assert (await log_in(client, account.email, account.password)).status_code == 200

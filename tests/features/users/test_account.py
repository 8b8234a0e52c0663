from __future__ import annotations

import httpx

from tests.support.accounts import log_in, new_account, sign_up
from tests.support.problems import assert_problem

NEW_PASSWORD = "a brand new passphrase"


async def test_deleting_the_account_ends_every_session_at_once(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    second_device = (await log_in(client, account.email)).json()

    response = await client.delete("/api/v1/users/me", headers=account.headers)

    assert response.status_code == 204
    assert_problem(await client.get("/api/v1/users/me", headers=account.headers), 401, "invalid_token")
    headers = {"Authorization": f"Bearer {second_device['access_token']}"}
    assert_problem(await client.patch("/api/v1/users/me", json={}, headers=headers), 401, "invalid_token")
    refreshed = await client.post("/api/v1/auth/refresh", json={"refresh_token": second_device["refresh_token"]})
    assert_problem(refreshed, 401, "invalid_token")


async def test_a_deleted_accounts_address_can_sign_up_again(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    await client.delete("/api/v1/users/me", headers=account.headers)

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

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import httpx

from src.core.security.tokens import hash_refresh_token
from tests.support.accounts import bearer, log_in, new_account, sign_up, unique_email
from tests.support.problems import assert_problem

REFRESH = "/api/v1/auth/refresh"


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": token})


async def test_the_whole_lifecycle(client: httpx.AsyncClient) -> None:
    """sign-up -> login -> me -> refresh -> replay of the old token (family revoked) ->
    logout -> refresh fails."""
    email = unique_email()
    assert (await sign_up(client, email=email)).status_code == 201
    first = (await log_in(client, email)).json()
    assert (await client.get("/api/v1/users/me", headers=bearer(first["access_token"]))).status_code == 200

    rotated = await refresh(client, first["refresh_token"])
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/v1/users/me", headers=bearer(second["access_token"]))).status_code == 200

    replay = await refresh(client, first["refresh_token"])
    assert_problem(replay, 401, "invalid_token")
    assert replay.headers["www-authenticate"] == 'Bearer realm="avatar-api", error="invalid_token"'
    # The whole family is gone: the newest tokens stop working too.
    assert_problem(await refresh(client, second["refresh_token"]), 401, "invalid_token")
    assert_problem(await client.get("/api/v1/users/me", headers=bearer(second["access_token"])), 401, "invalid_token")

    third = (await log_in(client, email)).json()
    assert (await client.post("/api/v1/auth/logout", json={"refresh_token": third["refresh_token"]})).status_code == 204
    assert_problem(await refresh(client, third["refresh_token"]), 401, "invalid_token")


async def test_two_concurrent_refreshes_with_one_token_give_exactly_one_success(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    responses = await asyncio.gather(*(refresh(client, account.refresh_token) for _ in range(5)))

    assert sorted(r.status_code for r in responses) == [200, 401, 401, 401, 401]


async def test_unknown_or_expired_tokens_are_refused_without_revoking_anything(
    client: httpx.AsyncClient, database_url: str
) -> None:
    account = await new_account(client)
    second = (await log_in(client, account.email)).json()
    await _expire(database_url, second["refresh_token"])

    assert_problem(await refresh(client, "not-a-token"), 401, "invalid_token")
    assert_problem(await refresh(client, second["refresh_token"]), 401, "invalid_token")
    assert (await refresh(client, account.refresh_token)).status_code == 200


async def test_a_refresh_keeps_the_session_and_renews_the_access_token(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    renewed = (await refresh(client, account.refresh_token)).json()
    sessions = (await client.get("/api/v1/auth/sessions", headers=bearer(renewed["access_token"]))).json()

    assert [session["current"] for session in sessions["data"]] == [True]


async def test_logout_revokes_the_session_and_is_silent_about_unknown_tokens(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    unknown = await client.post("/api/v1/auth/logout", json={"refresh_token": "never-issued"})
    known = await client.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})
    again = await client.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})

    assert [unknown.status_code, known.status_code, again.status_code] == [204, 204, 204]
    assert_problem(await client.patch("/api/v1/users/me", json={}, headers=account.headers), 401, "invalid_token")


async def _expire(dsn: str, token: str) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "UPDATE refresh_tokens SET expires_at = now() - $2::interval WHERE token_hash = $1",
            hash_refresh_token(token),
            timedelta(seconds=1),
        )
    finally:
        await connection.close()

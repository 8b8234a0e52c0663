from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import httpx

from src.app import create_app
from src.core.security.tokens import hash_refresh_token
from src.core.settings import Settings
from tests.support.accounts import age_refresh_spend, bearer, log_in, new_account, sign_up, unique_email
from tests.support.http import running_app
from tests.support.problems import assert_problem

REFRESH = "/api/v1/auth/refresh"


async def refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post(REFRESH, json={"refresh_token": token})


async def test_the_whole_lifecycle(client: httpx.AsyncClient, database_url: str) -> None:
    """sign-up -> login -> me -> refresh -> replay of the old token after the grace window
    (family revoked) -> logout -> refresh fails."""
    email = unique_email()
    assert (await sign_up(client, email=email)).status_code == 201
    first = (await log_in(client, email)).json()
    assert (await client.get("/api/v1/users/me", headers=bearer(first["access_token"]))).status_code == 200

    rotated = await refresh(client, first["refresh_token"])
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert (await client.get("/api/v1/users/me", headers=bearer(second["access_token"]))).status_code == 200

    await age_refresh_spend(database_url, first["refresh_token"], seconds=11)  # past the 10 s grace window
    replay = await refresh(client, first["refresh_token"])
    assert_problem(replay, 401, "invalid_token")
    assert replay.headers["www-authenticate"] == 'Bearer realm="avatar-api", error="invalid_token"'
    # The whole family is gone: the newest tokens stop working too.
    assert_problem(await refresh(client, second["refresh_token"]), 401, "invalid_token")
    assert_problem(await client.get("/api/v1/users/me", headers=bearer(second["access_token"])), 401, "invalid_token")

    third = (await log_in(client, email)).json()
    assert (await client.post("/api/v1/auth/logout", json={"refresh_token": third["refresh_token"]})).status_code == 204
    assert_problem(await refresh(client, third["refresh_token"]), 401, "invalid_token")


async def test_concurrent_refreshes_with_one_token_rotate_once_and_log_no_one_out(
    client: httpx.AsyncClient, database_url: str
) -> None:
    """Ten requests with one refresh token (two tabs, a retry after a timeout): one rotates,
    the others get the same new refresh token; the session lives on. Reuse detection
    revoked it, and the winner's new tokens were dead on arrival."""
    account = await new_account(client)

    responses = await asyncio.gather(*(refresh(client, account.refresh_token) for _ in range(10)))

    assert [response.status_code for response in responses] == [200] * 10
    successors = {response.json()["refresh_token"] for response in responses}
    assert len(successors) == 1
    (successor,) = successors
    for response in responses:
        assert (
            await client.get("/api/v1/users/me", headers=bearer(response.json()["access_token"]))
        ).status_code == 200
    assert await _refresh_tokens_of(database_url, account.id) == 2  # the login's, and one successor
    assert (await refresh(client, successor)).status_code == 200


async def test_a_repeat_within_the_grace_window_once_the_successor_was_used_revokes_nothing(
    client: httpx.AsyncClient,
) -> None:
    account = await new_account(client)
    successor = (await refresh(client, account.refresh_token)).json()["refresh_token"]
    newest = (await refresh(client, successor)).json()

    late_tab = await refresh(client, account.refresh_token)

    assert_problem(late_tab, 409, "refresh_token_rotated")
    assert (await client.get("/api/v1/users/me", headers=bearer(newest["access_token"]))).status_code == 200
    assert (await refresh(client, newest["refresh_token"])).status_code == 200


async def test_after_the_grace_window_reuse_revokes_the_session(client: httpx.AsyncClient, database_url: str) -> None:
    account = await new_account(client)
    rotated = (await refresh(client, account.refresh_token)).json()
    await age_refresh_spend(database_url, account.refresh_token, seconds=11)

    assert_problem(await refresh(client, account.refresh_token), 401, "invalid_token")
    assert_problem(await refresh(client, rotated["refresh_token"]), 401, "invalid_token")
    assert_problem(await client.get("/api/v1/users/me", headers=bearer(rotated["access_token"])), 401, "invalid_token")


async def test_without_a_grace_window_any_reuse_revokes(settings: Settings) -> None:
    async with running_app(create_app(settings.with_changes(refresh_reuse_grace_seconds=0))) as client:
        account = await new_account(client)
        rotated = (await refresh(client, account.refresh_token)).json()
        replay = await refresh(client, account.refresh_token)
        after = await refresh(client, rotated["refresh_token"])

    assert_problem(replay, 401, "invalid_token")
    assert_problem(after, 401, "invalid_token")


async def test_the_successor_is_never_stored_in_clear(client: httpx.AsyncClient, database_url: str) -> None:
    account = await new_account(client)
    successor = (await refresh(client, account.refresh_token)).json()["refresh_token"]
    connection = await asyncpg.connect(database_url)
    try:
        rows = await connection.fetch("SELECT token_hash, successor_sealed FROM refresh_tokens")
    finally:
        await connection.close()
    sealed = [bytes(row["successor_sealed"]) for row in rows if row["successor_sealed"] is not None]
    assert len(sealed) == 1
    assert successor.encode() not in sealed[0]


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


async def _refresh_tokens_of(dsn: str, user_id: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        count: int = await connection.fetchval(
            "SELECT count(*) FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE s.user_id = $1::uuid",
            user_id,
        )
    finally:
        await connection.close()
    return count


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

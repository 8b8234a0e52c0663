"""The current-user dependency: 401s that leak nothing, and ended sessions that stop writing."""

from __future__ import annotations

import httpx

from src.app import create_app
from src.core.settings import Settings
from tests.support.accounts import bearer, delete_account, new_account
from tests.support.http import running_app
from tests.support.problems import assert_problem


async def test_refused_tokens_never_hold_a_connection(settings: Settings) -> None:
    """With a one-connection pool, a leaked connection would turn the next request into a 503."""
    single = settings.with_changes(db_pool_min_size=1, db_pool_max_size=1, db_acquire_timeout=0.5)
    async with running_app(create_app(single)) as client:
        account = await new_account(client)
        await delete_account(client, account)  # its session has ended
        for _ in range(5):
            assert (await client.get("/api/v1/users/me", headers=account.headers)).status_code == 401
            assert (await client.get("/api/v1/users/me", headers=bearer("not.a.token"))).status_code == 401
            assert (await client.get("/api/v1/users/me")).status_code == 401
        healthy = await client.get("/api/v1/auth/sessions", headers=(await new_account(client)).headers)

    assert healthy.status_code == 200


async def test_an_ended_session_cannot_write_while_its_token_is_still_valid(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    await client.post("/api/v1/auth/logout", json={"refresh_token": account.refresh_token})

    for method, path in (("PATCH", "/api/v1/users/me"), ("GET", "/api/v1/users/me"), ("GET", "/api/v1/auth/sessions")):
        response = await client.request(method, path, json={}, headers=account.headers)
        assert_problem(response, 401, "invalid_token")


async def test_rate_limits_key_authenticated_callers_by_user(settings: Settings) -> None:
    tight = settings.with_changes(rate_limit_default="2/minute")
    async with running_app(create_app(tight)) as client:
        alice = await new_account(client)
        bob = await new_account(client)
        alice_statuses = [(await client.get("/api/v1/users/me", headers=alice.headers)).status_code for _ in range(3)]
        bob_status = (await client.get("/api/v1/users/me", headers=bob.headers)).status_code
        # Anonymous callers from the same address have their own budget.
        anonymous = await client.get("/api/v1/auth/.well-known/jwks.json")

    assert alice_statuses == [200, 200, 429]
    assert bob_status == 200
    assert anonymous.status_code == 200

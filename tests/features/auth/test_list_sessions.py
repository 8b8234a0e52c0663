from __future__ import annotations

import httpx

from tests.support.accounts import bearer, log_in, new_account
from tests.support.problems import assert_problem

SESSIONS = "/api/v1/auth/sessions"


async def test_lists_the_callers_live_sessions_newest_first(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    other_device = (await log_in(client, account.email, **{"User-Agent": "phone/1.0"})).json()
    stranger = await new_account(client)

    page = (await client.get(SESSIONS, headers=bearer(other_device["access_token"]))).json()

    assert len(page["data"]) == 2
    newest, oldest = page["data"]
    assert newest["user_agent"] == "phone/1.0"
    assert newest["current"] is True
    assert oldest["current"] is False
    assert page["meta"] == {"limit": 20, "next_cursor": None}
    assert page["links"] == {"next": None}
    assert stranger.id not in str(page)


async def test_pages_walk_with_the_cursor(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    for _ in range(4):
        await log_in(client, account.email)

    seen: list[str] = []
    url: str | None = f"{SESSIONS}?limit=2"
    while url is not None:
        page = (await client.get(url, headers=account.headers)).json()
        seen += [session["id"] for session in page["data"]]
        assert len(page["data"]) <= 2
        url = page["links"]["next"]

    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen, reverse=True)


async def test_a_tampered_or_foreign_cursor_is_a_400(client: httpx.AsyncClient) -> None:
    account = await new_account(client)
    for _ in range(2):
        await log_in(client, account.email)
    cursor = (await client.get(f"{SESSIONS}?limit=1", headers=account.headers)).json()["meta"]["next_cursor"]
    other = await new_account(client)

    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for bad, headers in ((tampered, account.headers), ("garbage", account.headers), (cursor, other.headers)):
        problem = assert_problem(
            await client.get(SESSIONS, params={"cursor": bad}, headers=headers), 400, "invalid_cursor"
        )
        assert problem["errors"][0]["pointer"] == "#/cursor"


async def test_limit_is_bounded(client: httpx.AsyncClient) -> None:
    account = await new_account(client)

    for limit in ("0", "101", "x"):
        assert_problem(
            await client.get(SESSIONS, params={"limit": limit}, headers=account.headers), 400, "validation_failed"
        )


async def test_needs_a_token(client: httpx.AsyncClient) -> None:
    response = await client.get(SESSIONS)

    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == 'Bearer realm="avatar-api"'

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from src.core.ids import new_id
from tests.support.accounts import new_account, new_accounts
from tests.support.avatars import AVATARS, events_of, new_avatar
from tests.support.problems import assert_problem


async def test_like_and_unlike_are_idempotent(client: httpx.AsyncClient, database_url: str) -> None:
    owner, fan = await new_account(client), await new_account(client)
    avatar = await new_avatar(client, owner)
    url = f"{AVATARS}/{avatar['id']}"

    statuses = [(await client.put(f"{url}/like", headers=fan.headers)).status_code for _ in range(3)]
    liked = (await client.get(url, headers=fan.headers)).json()
    statuses += [(await client.delete(f"{url}/like", headers=fan.headers)).status_code for _ in range(3)]
    unliked = (await client.get(url, headers=fan.headers)).json()

    assert statuses == [204] * 6
    assert (liked["likes_count"], liked["liked_by_me"]) == (1, True)
    assert (unliked["likes_count"], unliked["liked_by_me"]) == (0, False)
    events = await events_of(database_url, avatar["id"])
    assert [event for event, _ in events] == ["avatar.created", "avatar.liked", "avatar.unliked"]
    assert events[1][1]["actor"] == {"id": fan.id}
    assert events[1][1]["avatar"]["likes_count"] == 1


async def test_a_like_does_not_count_as_an_edit(client: httpx.AsyncClient) -> None:
    owner, fan = await new_account(client), await new_account(client)
    avatar = await new_avatar(client, owner)

    await client.put(f"{AVATARS}/{avatar['id']}/like", headers=fan.headers)
    after = await client.get(f"{AVATARS}/{avatar['id']}")

    assert after.headers["etag"] == '"v1"'
    assert after.json()["updated_at"] == avatar["updated_at"]


async def test_a_hundred_users_liking_at_once_count_a_hundred(client: httpx.AsyncClient, database_url: str) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)
    fans = await new_accounts(client, 100)

    responses = await asyncio.gather(*(client.put(f"{AVATARS}/{avatar['id']}/like", headers=f.headers) for f in fans))

    assert {r.status_code for r in responses} == {204}
    assert (await client.get(f"{AVATARS}/{avatar['id']}")).json()["likes_count"] == 100
    assert await _likes_rows(database_url, avatar["id"]) == 100


async def test_one_user_liking_twenty_times_at_once_counts_one(client: httpx.AsyncClient, database_url: str) -> None:
    owner, fan = await new_account(client), await new_account(client)
    avatar = await new_avatar(client, owner)
    url = f"{AVATARS}/{avatar['id']}/like"

    await asyncio.gather(*(client.put(url, headers=fan.headers) for _ in range(20)))
    assert (await client.get(f"{AVATARS}/{avatar['id']}")).json()["likes_count"] == 1

    # Likes and unlikes racing: the count always equals the likes that exist.
    await asyncio.gather(*(client.request("PUT" if i % 2 else "DELETE", url, headers=fan.headers) for i in range(40)))
    count = (await client.get(f"{AVATARS}/{avatar['id']}")).json()["likes_count"]
    assert count == await _likes_rows(database_url, avatar["id"])
    assert count in {0, 1}
    liked_events = [e for e, _ in await events_of(database_url, avatar["id"]) if e == "avatar.liked"]
    unliked_events = [e for e, _ in await events_of(database_url, avatar["id"]) if e == "avatar.unliked"]
    assert len(liked_events) - len(unliked_events) == count


async def test_likes_need_a_token_and_a_live_avatar(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)

    assert_problem(await client.put(f"{AVATARS}/{avatar['id']}/like"), 401, "unauthorized")
    assert_problem(await client.delete(f"{AVATARS}/{avatar['id']}/like"), 401, "unauthorized")
    assert_problem(await client.put(f"{AVATARS}/{new_id()}/like", headers=owner.headers), 404, "not_found")
    assert (await client.put(f"{AVATARS}/{avatar['id']}/like", headers=owner.headers)).status_code == 204


async def _likes_rows(dsn: str, avatar_id: str) -> int:
    connection = await asyncpg.connect(dsn)
    try:
        count: int = await connection.fetchval("SELECT count(*) FROM avatar_likes WHERE avatar_id = $1", avatar_id)
        return count
    finally:
        await connection.close()

from __future__ import annotations

import httpx

from tests.support.accounts import new_account
from tests.support.avatars import AVATARS, events_of, new_avatar
from tests.support.problems import assert_problem


async def test_a_deleted_avatar_is_gone_everywhere(client: httpx.AsyncClient, database_url: str) -> None:
    owner, fan = await new_account(client), await new_account(client)
    avatar = await new_avatar(client, owner)
    url = f"{AVATARS}/{avatar['id']}"

    assert (await client.delete(url, headers=owner.headers)).status_code == 204

    assert_problem(await client.get(url), 404, "not_found")
    assert_problem(await client.get(f"{url}/image.svg"), 404, "not_found")
    assert avatar["id"] not in {a["id"] for a in (await client.get(AVATARS)).json()["data"]}
    assert_problem(await client.put(f"{url}/like", headers=fan.headers), 404, "not_found")
    assert_problem(await client.delete(f"{url}/like", headers=fan.headers), 404, "not_found")
    assert_problem(await client.delete(url, headers=owner.headers), 404, "not_found")
    assert [event for event, _ in await events_of(database_url, avatar["id"])] == ["avatar.created", "avatar.deleted"]


async def test_only_the_owner_may_delete(client: httpx.AsyncClient) -> None:
    owner, other = await new_account(client), await new_account(client)
    avatar = await new_avatar(client, owner)
    url = f"{AVATARS}/{avatar['id']}"

    assert_problem(await client.delete(url, headers=other.headers), 403, "not_owner")
    assert_problem(await client.delete(url), 401, "unauthorized")
    assert (await client.get(url)).status_code == 200


async def test_if_match_guards_a_delete_too(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)
    url = f"{AVATARS}/{avatar['id']}"
    await client.patch(url, json={"name": "Changed"}, headers=owner.headers)

    stale = await client.delete(url, headers={**owner.headers, "If-Match": '"v1"'})
    current = await client.delete(url, headers={**owner.headers, "If-Match": '"v2"'})

    assert_problem(stale, 412, "precondition_failed")
    assert current.status_code == 204

from __future__ import annotations

import httpx

from src.core.ids import new_id
from tests.support.accounts import delete_account, new_account
from tests.support.avatars import AVATARS, new_avatar
from tests.support.problems import assert_problem


async def test_reads_are_public_and_personalised_with_a_token(client: httpx.AsyncClient) -> None:
    owner, fan = await new_account(client, display_name="Owner"), await new_account(client)
    avatar = await new_avatar(client, owner)
    await client.put(f"{AVATARS}/{avatar['id']}/like", headers=fan.headers)

    anonymous = await client.get(f"{AVATARS}/{avatar['id']}")
    as_fan = await client.get(f"{AVATARS}/{avatar['id']}", headers=fan.headers)
    as_owner = await client.get(f"{AVATARS}/{avatar['id']}", headers=owner.headers)

    assert anonymous.status_code == 200
    assert anonymous.headers["etag"] == '"v1"'
    assert anonymous.json()["owner"] == {"id": owner.id, "display_name": "Owner"}
    assert [r.json()["liked_by_me"] for r in (anonymous, as_fan, as_owner)] == [False, True, False]
    assert {r.json()["likes_count"] for r in (anonymous, as_fan, as_owner)} == {1}


async def test_missing_deleted_and_orphaned_avatars_are_404(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    deleted = await new_avatar(client, owner)
    await client.delete(f"{AVATARS}/{deleted['id']}", headers=owner.headers)
    leaver = await new_account(client)
    orphaned = await new_avatar(client, leaver)
    await delete_account(client, leaver)

    for avatar_id in (new_id(), deleted["id"], orphaned["id"]):
        assert_problem(await client.get(f"{AVATARS}/{avatar_id}"), 404, "not_found")


async def test_a_bad_token_is_refused_even_on_a_public_read(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)

    response = await client.get(f"{AVATARS}/{avatar['id']}", headers={"Authorization": "Bearer forged"})

    assert_problem(response, 401, "invalid_token")

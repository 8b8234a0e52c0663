from __future__ import annotations

import asyncio

import httpx

from src.core.ids import new_id
from tests.support.accounts import new_account
from tests.support.avatars import AVATARS, events_of, new_avatar
from tests.support.problems import assert_problem


async def test_the_owner_changes_name_and_colour(client: httpx.AsyncClient, database_url: str) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner, name="Ada", color="#000000")

    response = await client.patch(
        f"{AVATARS}/{avatar['id']}", json={"name": " Ada L. ", "color": "#ffcc00"}, headers=owner.headers
    )

    assert response.status_code == 200
    updated = response.json()
    assert (updated["name"], updated["color"]) == ("Ada L.", "#FFCC00")
    assert updated["updated_at"] > avatar["updated_at"]
    assert updated["created_at"] == avatar["created_at"]
    assert response.headers["etag"] == '"v2"'
    assert [event for event, _ in await events_of(database_url, avatar["id"])] == ["avatar.created", "avatar.updated"]


async def test_an_empty_patch_changes_nothing(client: httpx.AsyncClient, database_url: str) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)

    response = await client.patch(f"{AVATARS}/{avatar['id']}", json={}, headers=owner.headers)

    assert response.status_code == 200
    assert response.json()["updated_at"] == avatar["updated_at"]
    assert response.headers["etag"] == '"v1"'
    assert [event for event, _ in await events_of(database_url, avatar["id"])] == ["avatar.created"]


async def test_only_the_owner_may_edit(client: httpx.AsyncClient) -> None:
    owner, other = await new_account(client), await new_account(client)
    avatar = await new_avatar(client, owner, name="Mine")

    as_other = await client.patch(f"{AVATARS}/{avatar['id']}", json={"name": "Yours"}, headers=other.headers)
    anonymous = await client.patch(f"{AVATARS}/{avatar['id']}", json={"name": "Nobody's"})

    assert_problem(as_other, 403, "not_owner")
    assert_problem(anonymous, 401, "unauthorized")
    assert (await client.get(f"{AVATARS}/{avatar['id']}")).json()["name"] == "Mine"


async def test_missing_or_deleted_is_404(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)
    await client.delete(f"{AVATARS}/{avatar['id']}", headers=owner.headers)

    for avatar_id in (avatar["id"], new_id()):
        response = await client.patch(f"{AVATARS}/{avatar_id}", json={"name": "x"}, headers=owner.headers)
        assert_problem(response, 404, "not_found")


async def test_if_match_refuses_a_stale_edit(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)
    url = f"{AVATARS}/{avatar['id']}"
    read_etag = (await client.get(url)).headers["etag"]

    first = await client.patch(url, json={"name": "First"}, headers={**owner.headers, "If-Match": read_etag})
    second = await client.patch(url, json={"name": "Second"}, headers={**owner.headers, "If-Match": read_etag})
    anything = await client.patch(url, json={"color": "#123456"}, headers={**owner.headers, "If-Match": "*"})
    weak = await client.patch(
        url, json={"name": "Weak"}, headers={**owner.headers, "If-Match": f"W/{anything.headers['etag']}"}
    )

    assert first.status_code == 200
    assert_problem(second, 412, "precondition_failed")
    assert anything.status_code == 200
    assert_problem(weak, 412, "precondition_failed")  # If-Match compares strongly
    assert (await client.get(url)).json()["name"] == "First"


async def test_a_listed_avatars_etag_is_its_if_match_without_a_get_first(client: httpx.AsyncClient) -> None:
    """The view carries its version: a conditional edit of an item taken from a list needs
    no GET first, and a list taken before someone else's edit is stale (412)."""
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)
    url = f"{AVATARS}/{avatar['id']}"
    [listed] = [
        item for item in (await client.get(AVATARS, params={"limit": 100})).json()["data"] if item["id"] == avatar["id"]
    ]

    edited = await client.patch(url, json={"name": "Edited"}, headers={**owner.headers, "If-Match": listed["etag"]})
    stale = await client.patch(url, json={"name": "Stale"}, headers={**owner.headers, "If-Match": listed["etag"]})

    assert (listed["version"], listed["etag"]) == (1, '"v1"')
    assert edited.status_code == 200
    assert (edited.json()["version"], edited.json()["etag"]) == (2, edited.headers["etag"])
    assert_problem(stale, 412, "precondition_failed")
    assert (await client.get(url)).json()["name"] == "Edited"


async def test_two_concurrent_editors_cannot_both_win(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    avatar = await new_avatar(client, owner)
    url = f"{AVATARS}/{avatar['id']}"
    etag = (await client.get(url)).headers["etag"]

    responses = await asyncio.gather(
        *(
            client.patch(url, json={"name": f"Editor {i}"}, headers={**owner.headers, "If-Match": etag})
            for i in range(6)
        )
    )

    assert sorted(r.status_code for r in responses) == [200, 412, 412, 412, 412, 412]


async def test_unknown_fields_are_refused(client: httpx.AsyncClient) -> None:
    owner, other = await new_account(client), await new_account(client)
    avatar = await new_avatar(client, owner)

    response = await client.patch(f"{AVATARS}/{avatar['id']}", json={"owner_id": other.id}, headers=owner.headers)

    assert_problem(response, 400, "validation_failed")
    assert (await client.get(f"{AVATARS}/{avatar['id']}")).json()["owner"]["id"] == owner.id

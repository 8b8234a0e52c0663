from __future__ import annotations

import asyncio
import random
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx

from src.core.data.pagination import PageRequest
from src.features.avatars.list_avatars.command import ListAvatars
from src.features.avatars.list_avatars.handler import list_avatars
from tests.support.accounts import new_account
from tests.support.avatars import AVATARS, new_avatar
from tests.support.problems import assert_problem


async def test_newest_first_with_the_page_envelope(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    created = [await new_avatar(client, owner, name=f"Avatar {i}") for i in range(3)]

    page = (await client.get(AVATARS)).json()

    assert [avatar["id"] for avatar in page["data"]] == [avatar["id"] for avatar in reversed(created)]
    assert page["meta"] == {"limit": 20, "next_cursor": None}
    assert page["links"] == {"next": None}


async def test_filter_by_owner_and_personalise_with_a_token(client: httpx.AsyncClient) -> None:
    alice, bob = await new_account(client), await new_account(client)
    alices = [await new_avatar(client, alice) for _ in range(2)]
    await new_avatar(client, bob)
    await client.put(f"{AVATARS}/{alices[0]['id']}/like", headers=bob.headers)

    page = (await client.get(AVATARS, params={"owner_id": alice.id}, headers=bob.headers)).json()

    assert {avatar["owner"]["id"] for avatar in page["data"]} == {alice.id}
    liked = {avatar["id"]: avatar["liked_by_me"] for avatar in page["data"]}
    assert liked == {alices[0]["id"]: True, alices[1]["id"]: False}


async def test_a_walk_sees_every_avatar_that_existed_throughout_exactly_once(client: httpx.AsyncClient) -> None:
    """250 avatars; between pages, new ones are added and some old ones deleted."""
    owners = [await new_account(client) for _ in range(5)]
    initial = await asyncio.gather(*(new_avatar(client, owners[i % 5], name=f"A{i}") for i in range(250)))
    by_id = {avatar["id"]: avatar for avatar in initial}
    rng = random.Random(7)
    deleted: set[str] = set()
    seen: list[str] = []

    url: str | None = f"{AVATARS}?limit=23"
    while url is not None:
        page = (await client.get(url)).json()
        seen += [avatar["id"] for avatar in page["data"]]
        url = page["links"]["next"]
        # Churn between pages: new avatars, and deletions of not-yet-seen and seen ones.
        await new_avatar(client, owners[0], name="late arrival")
        for victim in rng.sample(sorted(set(by_id) - deleted), 2):
            owner = next(o for o in owners if o.id == by_id[victim]["owner"]["id"])
            assert (await client.delete(f"{AVATARS}/{victim}", headers=owner.headers)).status_code == 204
            deleted.add(victim)

    survivors = set(by_id) - deleted
    assert len(seen) == len(set(seen))  # no duplicates
    assert survivors <= set(seen)  # no skips
    assert set(seen) <= set(by_id)  # avatars created during the walk are newer: not in later pages


async def test_links_next_keeps_the_filter_and_the_limit(client: httpx.AsyncClient) -> None:
    owner = await new_account(client)
    for _ in range(3):
        await new_avatar(client, owner)

    page = (await client.get(AVATARS, params={"owner_id": owner.id, "limit": 2})).json()

    query = parse_qs(urlsplit(page["links"]["next"]).query)
    assert query["owner_id"] == [owner.id]
    assert query["limit"] == ["2"]
    assert query["cursor"] == [page["meta"]["next_cursor"]]
    assert len((await client.get(page["links"]["next"])).json()["data"]) == 1


async def test_tampered_or_misapplied_cursors_are_a_400(client: httpx.AsyncClient) -> None:
    alice, bob = await new_account(client), await new_account(client)
    for _ in range(3):
        await new_avatar(client, alice)
    cursor = (await client.get(AVATARS, params={"limit": 1})).json()["meta"]["next_cursor"]
    flipped = cursor[:5] + ("A" if cursor[5] != "A" else "B") + cursor[6:]

    for params in ({"cursor": flipped}, {"cursor": "x" * 39}, {"cursor": cursor, "owner_id": bob.id}):
        problem = assert_problem(await client.get(AVATARS, params=params), 400, "invalid_cursor")
        assert problem["errors"] == [
            {"pointer": "#/cursor", "detail": "This cursor is not valid for this list.", "location": "query"}
        ]


async def test_limit_and_owner_are_validated(client: httpx.AsyncClient) -> None:
    for params in ({"limit": 0}, {"limit": 101}, {"limit": "ten"}, {"owner_id": "not-a-uuid"}):
        assert_problem(await client.get(AVATARS, params=params), 400, "validation_failed")
    assert (await client.get(AVATARS, params={"limit": 100})).status_code == 200


async def test_a_page_is_one_query_however_many_avatars(client: httpx.AsyncClient, database_url: str) -> None:
    owner = await new_account(client)
    await asyncio.gather(*(new_avatar(client, owner) for _ in range(30)))
    queries: list[Any] = []
    connection = await asyncpg.connect(database_url)
    connection.add_query_logger(queries.append)
    try:
        command = ListAvatars(owner_id=None, viewer_id=None, page=PageRequest(limit=30, after=None))
        page = await list_avatars(command, connection=connection)
    finally:
        await connection.close()

    assert len(page.items) == 30
    assert len(queries) == 1

"""The avatar view is one thing: every slice that returns it selects the same columns and
says the same about the same avatar to the same caller."""

from __future__ import annotations

import importlib
from typing import Any

import asyncpg
import httpx

from src.core.settings import PROJECT_ROOT
from src.features.avatars.read_model import VIEW_COLUMNS
from tests.support.accounts import Account, new_account
from tests.support.avatars import AVATARS, new_avatar


def _view_queries() -> dict[str, str]:
    """Every SQL constant of the avatars slices that returns a view (it selects liked_by_me)."""
    queries = {}
    for path in sorted((PROJECT_ROOT / "src" / "features" / "avatars").glob("*/queries.py")):
        module = importlib.import_module(".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts))
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and "liked_by_me" in value:
                queries[f"{path.parent.name}.{name}"] = value
    return queries


async def test_every_view_query_selects_the_view_columns(database_url: str) -> None:
    queries = _view_queries()
    assert len(queries) >= 5, queries  # create, get, update, and the two lists
    connection = await asyncpg.connect(database_url)
    try:
        for name, sql in queries.items():
            statement = await connection.prepare(sql)
            columns = [attribute.name for attribute in statement.get_attributes()]
            assert sorted(columns) == sorted(VIEW_COLUMNS), name
    finally:
        await connection.close()


async def _views(client: httpx.AsyncClient, avatar_id: str, owner_id: str, caller: Account) -> list[dict[str, Any]]:
    """The avatar as `caller` reads it through get, the list and the owner's list."""
    got = await client.get(f"{AVATARS}/{avatar_id}", headers=caller.headers)
    everyone = await client.get(AVATARS, params={"limit": 100}, headers=caller.headers)
    owners = await client.get(AVATARS, params={"owner_id": owner_id}, headers=caller.headers)
    listed = [item for page in (everyone, owners) for item in page.json()["data"] if item["id"] == avatar_id]
    assert len(listed) == 2
    return [got.json(), *listed]


async def test_every_slice_says_the_same_about_one_avatar(client: httpx.AsyncClient) -> None:
    owner, fan = await new_account(client), await new_account(client)
    created = await new_avatar(client, owner, name="  Ada  ", color="#3a7bd5")
    assert (created["name"], created["color"], created["liked_by_me"], created["likes_count"]) == (
        "Ada",
        "#3A7BD5",
        False,
        0,
    )
    unchanged = (await client.patch(f"{AVATARS}/{created['id']}", json={}, headers=owner.headers)).json()
    assert unchanged == created
    assert await _views(client, created["id"], owner.id, owner) == [created] * 3

    assert (await client.put(f"{AVATARS}/{created['id']}/like", headers=fan.headers)).status_code == 204
    liked = {**created, "likes_count": 1}
    assert await _views(client, created["id"], owner.id, fan) == [{**liked, "liked_by_me": True}] * 3
    assert await _views(client, created["id"], owner.id, owner) == [liked] * 3
    edited = (await client.patch(f"{AVATARS}/{created['id']}", json={}, headers=owner.headers)).json()
    assert edited == liked

"""Avatar factories and outbox inspection, through the public API and the database."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import msgspec

from tests.support.accounts import Account

__all__ = ("AVATARS", "create_avatar", "events_of", "new_avatar")

AVATARS = "/api/v1/avatars"


async def create_avatar(
    client: httpx.AsyncClient, account: Account, *, name: str = "Ada Lovelace", color: str = "#3A7BD5", **headers: str
) -> httpx.Response:
    return await client.post(AVATARS, json={"name": name, "color": color}, headers={**account.headers, **headers})


async def new_avatar(client: httpx.AsyncClient, account: Account, **fields: str) -> dict[str, Any]:
    response = await create_avatar(client, account, **fields)
    assert response.status_code == 201, response.text
    avatar: dict[str, Any] = response.json()
    return avatar


async def events_of(dsn: str, avatar_id: str) -> list[tuple[str, dict[str, Any]]]:
    """The outbox events about one avatar, oldest first: (type, data)."""
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT type, data::text FROM outbox_events WHERE data->'avatar'->>'id' = $1 ORDER BY id", avatar_id
        )
    finally:
        await connection.close()
    return [(row["type"], msgspec.json.decode(row["data"])) for row in rows]

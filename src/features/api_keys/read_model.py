"""An API key as its owner sees it (never the key itself, but once, at creation)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import asyncpg
import msgspec
from msgspec import Meta

from src.core.security.api_keys import API_KEY_PREFIX, Scope

__all__ = ("ApiKeyView", "api_key_view")


class ApiKeyView(msgspec.Struct, frozen=True, kw_only=True):
    id: UUID
    name: Annotated[str, Meta(examples=["deploy script"])]
    prefix: Annotated[
        str, Meta(description="The key's first characters, to recognise it", examples=["ava_3kT9xQ2mLp0a"])
    ]
    scopes: list[Scope]
    created_at: datetime
    last_used_at: Annotated[datetime | None, Meta(description="Kept to the minute; null: never used")]
    expires_at: Annotated[datetime | None, Meta(description="null: until revoked")]


def api_key_view(row: asyncpg.Record) -> ApiKeyView:
    return ApiKeyView(
        id=row["id"],
        name=row["name"],
        prefix=API_KEY_PREFIX + row["lookup"],
        scopes=list(row["scopes"]),
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
        expires_at=row["expires_at"],
    )

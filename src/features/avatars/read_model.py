"""The avatars feature's read model: the avatar view every slice returns.

CQRS-lite, per the seed: the view is denormalised at read time in one query (the owner's
display name joined, `likes_count` pre-aggregated by triggers, `liked_by_me` from one
indexed lookup), so a page of 100 avatars is one query, not 101. Every query that
returns a view selects `VIEW_COLUMNS`, and `avatar_view(row)` maps them by name: a
query's column order does not matter, and a missing column fails its slice's tests.

Shared by this feature's slices only (the import contracts allow a feature's
`read_model` and nothing else of a sibling slice).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final
from uuid import UUID

import asyncpg
import msgspec
from msgspec import Meta

from src.core.text import END

__all__ = (
    "PERSONALISED_READ",
    "AvatarOwner",
    "AvatarView",
    "Color",
    "avatar_event",
    "avatar_view",
    "etag_of",
    "location_of",
)

# What create and update accept (stored upper-cased).
type Color = Annotated[str, Meta(pattern=rf"^#[0-9A-Fa-f]{{6}}{END}", description="#RRGGBB", examples=["#3A7BD5"])]

# The columns every view query selects (`liked_by_me` is
# `EXISTS (SELECT 1 FROM avatar_likes l WHERE l.avatar_id = a.id AND l.user_id = <viewer>)`).
VIEW_COLUMNS: Final = (
    "id",
    "name",
    "color",
    "owner_id",
    "display_name",
    "likes_count",
    "liked_by_me",
    "created_at",
    "updated_at",
    "version",
    "hidden",
)


class AvatarOwner(msgspec.Struct, frozen=True):
    id: UUID
    display_name: str


class AvatarView(msgspec.Struct, frozen=True):
    id: UUID
    name: Annotated[str, Meta(examples=["Ada Lovelace"])]
    color: Annotated[str, Meta(description="#RRGGBB, upper case", examples=["#3A7BD5"])]
    owner: AvatarOwner
    likes_count: int
    liked_by_me: Annotated[bool, Meta(description="Whether the caller likes it (false without a token)")]
    created_at: datetime
    updated_at: datetime
    version: Annotated[int, Meta(ge=1, description="Goes up by one with each edit of name or colour")]
    hidden: Annotated[
        bool,
        Meta(description="Hidden by a moderator: only you, its owner, still see it (everyone else gets 404)"),
    ]
    etag: Annotated[
        str,
        Meta(
            description="The avatar's `ETag`: send it as `If-Match` to update it only if nobody changed it since",
            examples=['"v3"'],
        ),
    ]


def avatar_view(row: asyncpg.Record) -> AvatarView:
    """The view of a row holding VIEW_COLUMNS."""
    return AvatarView(
        id=row["id"],
        name=row["name"],
        color=row["color"],
        owner=AvatarOwner(id=row["owner_id"], display_name=row["display_name"]),
        likes_count=row["likes_count"],
        liked_by_me=row["liked_by_me"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        version=row["version"],
        hidden=row["hidden"],
        etag=etag_of(row["version"]),
    )


def etag_of(version: int) -> str:
    """A strong ETag of the avatar's editable state (name, colour): what If-Match checks."""
    return f'"v{version}"'


# Reads are public but personalised (`liked_by_me`): a cache may keep them, keyed by the
# token, and must ask again before reusing one (the likes move without an edit).
PERSONALISED_READ: Final = {"Cache-Control": "no-cache", "Vary": "Authorization"}


def location_of(avatar_id: UUID) -> str:
    return f"/api/v1/avatars/{avatar_id}"


def avatar_event(view: AvatarView, *, actor_id: UUID | None = None) -> dict[str, object]:
    """The `data` of an avatar.* event: the avatar as its owner sees it, and who acted."""
    avatar = msgspec.structs.asdict(view)
    del avatar["liked_by_me"]  # depends on who reads it; events go to the owner
    data: dict[str, object] = {"avatar": avatar}
    if actor_id is not None:
        data["actor"] = {"id": actor_id}
    return data

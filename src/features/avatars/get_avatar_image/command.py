from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("GetAvatarImage",)


class GetAvatarImage(msgspec.Struct, frozen=True, kw_only=True):
    avatar_id: UUID
    if_none_match: str | None
    """The client's cached ETags: a match is answered 304 without rendering."""

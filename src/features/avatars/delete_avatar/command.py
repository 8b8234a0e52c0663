from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("DeleteAvatar",)


class DeleteAvatar(msgspec.Struct, frozen=True, kw_only=True):
    avatar_id: UUID
    user_id: UUID
    """From the token: only the owner may delete."""
    if_match: str | None

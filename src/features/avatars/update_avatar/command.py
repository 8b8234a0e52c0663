from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("UpdateAvatar",)


class UpdateAvatar(msgspec.Struct, frozen=True, kw_only=True):
    avatar_id: UUID
    user_id: UUID
    """From the token: only the owner may edit."""
    name: str | None
    """None keeps the current name."""
    color: str | None
    """None keeps the current colour."""
    if_match: str | None
    """The ETag(s) the client last saw: a stale one means someone else edited meanwhile."""

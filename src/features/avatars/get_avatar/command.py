from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("GetAvatar",)


class GetAvatar(msgspec.Struct, frozen=True, kw_only=True):
    avatar_id: UUID
    viewer_id: UUID | None
    """Who asks (for liked_by_me); None without a token."""

from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("UnlikeAvatar",)


class UnlikeAvatar(msgspec.Struct, frozen=True, kw_only=True):
    avatar_id: UUID
    user_id: UUID
    """From the token."""

from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("UpdateProfile",)


class UpdateProfile(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    display_name: str | None
    """None keeps the current name."""

from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("CreateAvatar",)


class CreateAvatar(msgspec.Struct, frozen=True, kw_only=True):
    owner_id: UUID
    """From the access token, never from the body."""
    name: str
    color: str
    """#RRGGBB, either case."""

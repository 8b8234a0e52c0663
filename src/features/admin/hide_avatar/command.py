from __future__ import annotations

from typing import Literal
from uuid import UUID

import msgspec

__all__ = ("HideAvatar",)


class HideAvatar(msgspec.Struct, frozen=True, kw_only=True):
    avatar_id: UUID
    reason: str
    actor_id: UUID
    actor_role: Literal["moderator", "admin"]

from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("ResendVerification",)


class ResendVerification(msgspec.Struct, frozen=True):
    user_id: UUID

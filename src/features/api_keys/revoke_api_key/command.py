from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("RevokeApiKey",)


class RevokeApiKey(msgspec.Struct, frozen=True, kw_only=True):
    key_id: UUID
    user_id: UUID

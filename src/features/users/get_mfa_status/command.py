from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("GetMfaStatus",)


class GetMfaStatus(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID

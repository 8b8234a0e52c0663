from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("RegenerateBackupCodes",)


class RegenerateBackupCodes(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    code: str

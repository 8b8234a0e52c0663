from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("DisableTotp",)


class DisableTotp(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    current_password: str
    code: str

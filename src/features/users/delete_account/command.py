from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("DeleteAccount",)


class DeleteAccount(msgspec.Struct, frozen=True):
    user_id: UUID

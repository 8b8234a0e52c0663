from __future__ import annotations

from uuid import UUID

import msgspec

from src.core.data.pagination import PageRequest

__all__ = ("ListApiKeys",)


class ListApiKeys(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    page: PageRequest

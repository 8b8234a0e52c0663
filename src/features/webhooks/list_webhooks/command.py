from __future__ import annotations

from uuid import UUID

import msgspec

from src.core.data.pagination import PageRequest

__all__ = ("ListWebhooks",)


class ListWebhooks(msgspec.Struct, frozen=True, kw_only=True):
    owner_id: UUID
    page: PageRequest

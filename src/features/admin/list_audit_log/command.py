from __future__ import annotations

from uuid import UUID

import msgspec

from src.core.data.pagination import PageRequest

__all__ = ("ListAuditLog",)


class ListAuditLog(msgspec.Struct, frozen=True, kw_only=True):
    target_id: UUID | None
    """Only the entries about this account or avatar."""
    page: PageRequest

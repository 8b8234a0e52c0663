from __future__ import annotations

from uuid import UUID

import msgspec

from src.core.data.pagination import PageRequest

__all__ = ("ListSessions",)


class ListSessions(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    current_session_id: UUID
    page: PageRequest

from __future__ import annotations

from uuid import UUID

import msgspec

from src.core.data.pagination import PageRequest

__all__ = ("ListAvatars",)


class ListAvatars(msgspec.Struct, frozen=True, kw_only=True):
    owner_id: UUID | None
    """Only this owner's avatars; everyone's when None."""
    viewer_id: UUID | None
    page: PageRequest

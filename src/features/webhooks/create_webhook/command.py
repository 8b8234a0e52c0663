from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("CreateWebhook",)


class CreateWebhook(msgspec.Struct, frozen=True, kw_only=True):
    owner_id: UUID
    """From the token."""
    url: str
    events: tuple[str, ...]
    """As sent; stored deduplicated, in the order of EVENT_TYPES."""
    description: str | None
    max_per_owner: int

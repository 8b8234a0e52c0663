from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("UpdateWebhook",)


class UpdateWebhook(msgspec.Struct, frozen=True, kw_only=True):
    webhook_id: UUID
    owner_id: UUID
    url: str | None
    """None keeps the current URL (a new one has been checked by the router)."""
    events: tuple[str, ...] | None
    change_description: bool
    description: str | None
    enabled: bool | None

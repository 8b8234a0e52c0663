from __future__ import annotations

from uuid import UUID

import msgspec

from src.core.data.pagination import PageRequest

__all__ = ("ListWebhookDeliveries",)


class ListWebhookDeliveries(msgspec.Struct, frozen=True, kw_only=True):
    webhook_id: UUID
    owner_id: UUID
    page: PageRequest

from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("DeleteWebhook",)


class DeleteWebhook(msgspec.Struct, frozen=True, kw_only=True):
    webhook_id: UUID
    owner_id: UUID

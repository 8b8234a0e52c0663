from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("PingWebhook",)


class PingWebhook(msgspec.Struct, frozen=True, kw_only=True):
    webhook_id: UUID
    owner_id: UUID
    timeout: float
    max_response_bytes: int

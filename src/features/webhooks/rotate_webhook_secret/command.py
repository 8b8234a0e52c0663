from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("RotateWebhookSecret",)


class RotateWebhookSecret(msgspec.Struct, frozen=True, kw_only=True):
    webhook_id: UUID
    owner_id: UUID
    grace_seconds: int
    """How long the secret being replaced keeps signing beside the new one (0: not at all)."""

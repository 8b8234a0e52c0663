from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("GetWebhook",)


class GetWebhook(msgspec.Struct, frozen=True, kw_only=True):
    webhook_id: UUID
    owner_id: UUID
    """From the token: someone else's subscription is as missing as an unknown one."""

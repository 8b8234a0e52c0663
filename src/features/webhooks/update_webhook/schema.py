from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from src.features.webhooks.read_model import EventType

__all__ = ("UpdateWebhookRequest",)


class UpdateWebhookRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Only what is sent changes; `description: null` clears it. Re-enabling clears the
    failure streak. The response is the feature's WebhookView."""

    url: (
        Annotated[
            str,
            Meta(min_length=8, max_length=2048, pattern=r"^https?://", examples=["https://example.com/hooks/avatars"]),
        ]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    events: (
        Annotated[list[EventType], Meta(min_length=1, max_length=5, examples=[["avatar.created", "avatar.deleted"]])]
        | msgspec.UnsetType
    ) = msgspec.UNSET
    description: Annotated[str, Meta(max_length=200, examples=["Sync to our CRM"])] | msgspec.UnsetType | None = (
        msgspec.UNSET
    )
    enabled: Annotated[bool, Meta(examples=[True])] | msgspec.UnsetType = msgspec.UNSET

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from src.features.webhooks.read_model import EventType

__all__ = ("CreateWebhookRequest",)


class CreateWebhookRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The response is the subscription with its signing secret (NewSecretView)."""

    url: Annotated[
        str,
        Meta(
            min_length=8,
            max_length=2048,
            pattern=r"^https?://",
            description="https:// (http:// only where allowed); internal addresses are refused",
            examples=["https://example.com/hooks/avatars"],
        ),
    ]
    events: Annotated[list[EventType], Meta(min_length=1, max_length=5, examples=[["avatar.created", "avatar.liked"]])]
    description: Annotated[str, Meta(max_length=200, examples=["Sync to our CRM"])] | None = None

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from src.features.webhooks.read_model import Description, EventType, WebhookUrl

__all__ = ("CreateWebhookRequest",)


class CreateWebhookRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The response is the subscription with its signing secret (NewSecretView)."""

    url: WebhookUrl
    events: Annotated[list[EventType], Meta(min_length=1, max_length=5, examples=[["avatar.created", "avatar.liked"]])]
    description: Description | None = None

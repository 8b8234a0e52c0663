from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from src.features.webhooks.read_model import Description, Events, WebhookUrl

__all__ = ("UpdateWebhookRequest",)


class UpdateWebhookRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Only what is sent changes; `description: null` clears it. Re-enabling clears the
    failure streak. The response is the feature's WebhookView."""

    url: WebhookUrl | msgspec.UnsetType = msgspec.UNSET
    events: Events | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType | None = msgspec.UNSET
    enabled: Annotated[bool, Meta(examples=[True])] | msgspec.UnsetType = msgspec.UNSET

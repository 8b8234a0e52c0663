from __future__ import annotations

import msgspec

from src.features.webhooks.read_model import Description, Events, WebhookUrl

__all__ = ("CreateWebhookRequest",)


class CreateWebhookRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The response is the subscription with its signing secret (NewSecretView)."""

    url: WebhookUrl
    events: Events
    description: Description | None = None

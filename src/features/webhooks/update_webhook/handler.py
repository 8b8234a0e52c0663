from __future__ import annotations

from src.core.data.database import Connection
from src.core.errors import NotFound
from src.features.webhooks.read_model import WebhookView, subscribed_events, webhook_view
from src.features.webhooks.update_webhook.command import UpdateWebhook
from src.features.webhooks.update_webhook.queries import UPDATE_WEBHOOK

__all__ = ("update_webhook",)


async def update_webhook(command: UpdateWebhook, *, transaction: Connection) -> WebhookView:
    row = await transaction.fetchrow(
        UPDATE_WEBHOOK,
        command.webhook_id,
        command.owner_id,
        command.url,
        subscribed_events(command.events) if command.events is not None else None,
        command.change_description,
        command.description,
        command.enabled,
    )
    if row is None:
        raise NotFound("No webhook with this id.")
    return webhook_view(row)

from __future__ import annotations

from src.core.data.database import Connection
from src.core.errors import NotFound
from src.features.webhooks.get_webhook.command import GetWebhook
from src.features.webhooks.get_webhook.queries import SELECT_WEBHOOK
from src.features.webhooks.read_model import WebhookView, webhook_view

__all__ = ("get_webhook",)


async def get_webhook(command: GetWebhook, *, connection: Connection) -> WebhookView:
    row = await connection.fetchrow(SELECT_WEBHOOK, command.webhook_id, command.owner_id)
    if row is None:
        raise NotFound("No webhook with this id.")
    return webhook_view(row)

from __future__ import annotations

from src.core.data.database import Connection
from src.core.errors import NotFound
from src.features.webhooks.delete_webhook.command import DeleteWebhook
from src.features.webhooks.delete_webhook.queries import DELETE_WEBHOOK

__all__ = ("delete_webhook",)


async def delete_webhook(command: DeleteWebhook, *, transaction: Connection) -> None:
    if await transaction.fetchval(DELETE_WEBHOOK, command.webhook_id, command.owner_id) is None:
        raise NotFound("No webhook with this id.")

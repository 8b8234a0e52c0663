from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.pagination import PageResult
from src.features.webhooks.list_webhooks.command import ListWebhooks
from src.features.webhooks.list_webhooks.queries import LIST_WEBHOOKS
from src.features.webhooks.read_model import WebhookView, webhook_view

__all__ = ("list_webhooks",)


async def list_webhooks(command: ListWebhooks, *, connection: Connection) -> PageResult[WebhookView]:
    page = command.page
    rows = await connection.fetch(LIST_WEBHOOKS, command.owner_id, *page.position, page.fetch_size)
    return page.result(rows, item=webhook_view)

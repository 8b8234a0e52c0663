from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.pagination import PageResult
from src.core.data.rows import from_row
from src.core.errors import NotFound
from src.features.webhooks.list_webhook_deliveries.command import ListWebhookDeliveries
from src.features.webhooks.list_webhook_deliveries.queries import LIST_ATTEMPTS, OWNS_WEBHOOK
from src.features.webhooks.list_webhook_deliveries.schema import DeliveryAttemptView

__all__ = ("list_webhook_deliveries",)


async def list_webhook_deliveries(
    command: ListWebhookDeliveries, *, connection: Connection
) -> PageResult[DeliveryAttemptView]:
    if not await connection.fetchval(OWNS_WEBHOOK, command.webhook_id, command.owner_id):
        raise NotFound("No webhook with this id.")
    page = command.page
    rows = await connection.fetch(LIST_ATTEMPTS, command.webhook_id, *page.position, page.fetch_size)
    return page.result(rows, item=lambda row: from_row(DeliveryAttemptView, row))

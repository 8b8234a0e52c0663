from __future__ import annotations

from typing import Final
from uuid import UUID

from src.core.database import Connection
from src.core.errors import NotFound
from src.core.pagination import split_page
from src.features.webhooks.list_webhook_deliveries.command import ListWebhookDeliveries
from src.features.webhooks.list_webhook_deliveries.queries import LIST_ATTEMPTS, OWNS_WEBHOOK
from src.features.webhooks.list_webhook_deliveries.schema import DeliveryAttemptView

__all__ = ("list_webhook_deliveries",)

_FROM_THE_NEWEST: Final = UUID(int=(1 << 128) - 1)


async def list_webhook_deliveries(
    command: ListWebhookDeliveries, *, connection: Connection
) -> tuple[list[DeliveryAttemptView], bool]:
    if not await connection.fetchval(OWNS_WEBHOOK, command.webhook_id, command.owner_id):
        raise NotFound("No webhook with this id.")
    after = command.page.after or _FROM_THE_NEWEST
    rows = await connection.fetch(LIST_ATTEMPTS, command.webhook_id, after, command.page.limit + 1)
    return split_page([DeliveryAttemptView(*row) for row in rows], command.page.limit)

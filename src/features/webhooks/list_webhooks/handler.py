from __future__ import annotations

from typing import Final
from uuid import UUID

from src.core.database import Connection
from src.core.pagination import split_page
from src.features.webhooks.list_webhooks.command import ListWebhooks
from src.features.webhooks.list_webhooks.queries import LIST_WEBHOOKS
from src.features.webhooks.read_model import WebhookView, webhook_view

__all__ = ("list_webhooks",)

_FROM_THE_NEWEST: Final = UUID(int=(1 << 128) - 1)


async def list_webhooks(command: ListWebhooks, *, connection: Connection) -> tuple[list[WebhookView], bool]:
    after = command.page.after or _FROM_THE_NEWEST
    rows = await connection.fetch(LIST_WEBHOOKS, command.owner_id, after, command.page.limit + 1)
    return split_page([webhook_view(row) for row in rows], command.page.limit)

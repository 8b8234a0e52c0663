"""Subscribe a URL to events about your own avatars.

The router checks the URL first (scheme, and every address its host resolves to must be
public), before taking a connection: DNS is network work. It is checked again at every
delivery. The signing secret is returned once.
"""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.rows import from_row
from src.core.errors import Conflict
from src.core.ids import new_id
from src.features.webhooks.create_webhook.command import CreateWebhook
from src.features.webhooks.create_webhook.queries import COUNT_OWNER_WEBHOOKS, INSERT_WEBHOOK, LOCK_OWNER
from src.features.webhooks.read_model import NewSecretView, subscribed_events
from src.features.webhooks.signing import new_secret

__all__ = ("create_webhook",)


async def create_webhook(command: CreateWebhook, *, transaction: Connection) -> NewSecretView:
    await transaction.execute(LOCK_OWNER, command.owner_id)
    if await transaction.fetchval(COUNT_OWNER_WEBHOOKS, command.owner_id) >= command.max_per_owner:
        raise Conflict(f"You have {command.max_per_owner} webhooks already; delete one first.", code="webhook_limit")
    row = await transaction.fetchrow(
        INSERT_WEBHOOK,
        new_id(),
        command.owner_id,
        command.url,
        subscribed_events(command.events),
        command.description,
        new_secret(),
    )
    assert row is not None  # noqa: S101 - INSERT ... RETURNING returns the row it inserted
    return from_row(NewSecretView, row)

"""A new signing secret. Deliveries carry a signature made with each active secret, so
during the grace period receivers holding either one keep verifying, and can switch
whenever they are ready."""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.rows import from_row
from src.core.errors import NotFound
from src.features.webhooks.read_model import NewSecretView
from src.features.webhooks.rotate_webhook_secret.command import RotateWebhookSecret
from src.features.webhooks.rotate_webhook_secret.queries import ROTATE_SECRET
from src.features.webhooks.signing import new_secret

__all__ = ("rotate_webhook_secret",)


async def rotate_webhook_secret(command: RotateWebhookSecret, *, transaction: Connection) -> NewSecretView:
    row = await transaction.fetchrow(
        ROTATE_SECRET, command.webhook_id, command.owner_id, command.grace_seconds, new_secret()
    )
    if row is None:
        raise NotFound("No webhook with this id.")
    return from_row(NewSecretView, row)

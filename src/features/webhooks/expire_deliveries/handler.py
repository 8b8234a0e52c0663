"""Forget webhook history older than WEBHOOK_RETENTION_DAYS: the events, their
deliveries (delivered, given up, or still waiting on a disabled endpoint) and the
delivery log."""

from __future__ import annotations

from typing import Final

from src.core.runtime.jobs import JobContext
from src.features.webhooks.expire_deliveries.queries import DELETE_OLD_EVENTS

__all__ = ("expire_deliveries",)

BATCH: Final = 1000


async def expire_deliveries(context: JobContext) -> int:
    return await context.database.execute_in_batches(
        DELETE_OLD_EVENTS, context.settings.webhook_retention_days, batch=BATCH
    )

"""Turn new outbox events into deliveries: one per subscribed endpoint.

Woken by the NOTIFY of an insert into the outbox, and polling as a fallback. Batches
until the outbox is drained; safe in any number of workers and instances.
"""

from __future__ import annotations

from typing import Final

from src.core.runtime.jobs import JobContext
from src.features.webhooks.dispatch_events.queries import FAN_OUT_EVENTS

__all__ = ("dispatch_events",)

BATCH: Final = 500


async def dispatch_events(context: JobContext) -> int:
    return await context.database.execute_in_batches(FAN_OUT_EVENTS, batch=BATCH)

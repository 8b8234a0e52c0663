"""Measure the webhook backlog for the metrics: how many deliveries wait, how long the one
due the longest has waited to be sent, and how long the oldest event has waited to be
dispatched into deliveries (the outbox lag).

The backlog is the database's, not this worker's: every worker measures it, and a scrape
shows the freshest measurement (see core.observability.metrics). A delivery that waits
for its retry time is not late; one that is due and not sent is, so the age counts from
when a delivery fell due. It grows when the dispatchers are stopped, too few for the load,
or held back by slow receivers (WEBHOOK_CONCURRENCY_PER_ENDPOINT).
"""

from __future__ import annotations

from typing import Final

from src.core.observability.metrics import OUTBOX_LAG, WEBHOOK_DELIVERIES_PENDING, WEBHOOK_OLDEST_PENDING_AGE
from src.core.runtime.jobs import JobContext
from src.features.webhooks.measure_backlog.queries import MEASURE_BACKLOG

__all__ = ("COUNTED_UP_TO", "measure_backlog")

# Counting stops here: the count is a gauge to alert on, not an inventory, and stays cheap.
COUNTED_UP_TO: Final = 10_000


async def measure_backlog(context: JobContext) -> int:
    async with context.database.acquire() as connection:
        row = await connection.fetchrow(MEASURE_BACKLOG, COUNTED_UP_TO)
    assert row is not None  # noqa: S101 - one row, always (aggregates over subqueries)
    WEBHOOK_DELIVERIES_PENDING.set(row["pending"])
    WEBHOOK_OLDEST_PENDING_AGE.set(max(row["oldest_due_seconds"], 0.0))
    OUTBOX_LAG.set(max(row["outbox_lag_seconds"], 0.0))
    return 0  # nothing handled: the job waits for its next interval

from __future__ import annotations

from src.core.runtime.jobs import PeriodicJob
from src.features.webhooks.measure_backlog.handler import measure_backlog

__all__ = ("MEASURE_WEBHOOK_BACKLOG",)

# Every worker, dispatcher or not: the backlog matters most when no dispatcher runs.
MEASURE_WEBHOOK_BACKLOG = PeriodicJob(name="measure-webhook-backlog", interval_seconds=15, run=measure_backlog)

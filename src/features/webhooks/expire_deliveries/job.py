from __future__ import annotations

from src.core.runtime.jobs import PeriodicJob
from src.features.webhooks.expire_deliveries.handler import expire_deliveries

__all__ = ("EXPIRE_DELIVERIES",)

EXPIRE_DELIVERIES = PeriodicJob(name="expire-webhook-history", interval_seconds=3600, run=expire_deliveries)

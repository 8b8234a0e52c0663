from __future__ import annotations

from src.core.runtime.jobs import PeriodicJob
from src.features.webhooks.deliver_webhooks.handler import deliver_webhooks

__all__ = ("DELIVER_WEBHOOKS",)

DELIVER_WEBHOOKS = PeriodicJob(
    name="deliver-webhooks",
    run=deliver_webhooks,
    interval_seconds=lambda settings: settings.webhook_poll_seconds,
    wake_on=("webhook_deliveries",),
    enabled=lambda settings: settings.webhook_dispatcher_enabled,
)

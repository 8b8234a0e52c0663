from __future__ import annotations

from src.core.jobs import PeriodicJob
from src.features.webhooks.dispatch_events.handler import dispatch_events

__all__ = ("DISPATCH_EVENTS",)

DISPATCH_EVENTS = PeriodicJob(
    name="dispatch-webhook-events",
    run=dispatch_events,
    interval_seconds=5.0,
    interval_setting="webhook_poll_seconds",
    wake_on=("outbox_events",),
    enabled_setting="webhook_dispatcher_enabled",
)

from __future__ import annotations

from src.core.data.outbox import OUTBOX_CHANNEL
from src.core.runtime.jobs import PeriodicJob
from src.features.webhooks.dispatch_events.handler import dispatch_events

__all__ = ("DISPATCH_EVENTS",)

DISPATCH_EVENTS = PeriodicJob(
    name="dispatch-webhook-events",
    run=dispatch_events,
    interval_seconds=lambda settings: settings.webhook_poll_seconds,
    wake_on=(OUTBOX_CHANNEL,),
    enabled=lambda settings: settings.webhook_dispatcher_enabled,
)

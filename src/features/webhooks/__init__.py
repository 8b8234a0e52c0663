"""Webhooks: subscriptions to events about your avatars, delivered signed, at least once,
in the background, with retries that survive restarts, and never to internal addresses."""

from litestar import Router

from src.features.webhooks.create_webhook.router import create_webhook_route
from src.features.webhooks.delete_webhook.router import delete_webhook_route
from src.features.webhooks.deliver_webhooks.job import DELIVER_WEBHOOKS
from src.features.webhooks.dispatch_events.job import DISPATCH_EVENTS
from src.features.webhooks.expire_deliveries.job import EXPIRE_DELIVERIES
from src.features.webhooks.get_webhook.router import get_webhook_route
from src.features.webhooks.list_webhook_deliveries.router import list_webhook_deliveries_route
from src.features.webhooks.list_webhooks.router import list_webhooks_route
from src.features.webhooks.measure_backlog.job import MEASURE_WEBHOOK_BACKLOG
from src.features.webhooks.ping_webhook.router import ping_webhook_route
from src.features.webhooks.rotate_webhook_secret.router import rotate_webhook_secret_route
from src.features.webhooks.update_webhook.router import update_webhook_route

__all__ = ("JOBS", "router")

router = Router(
    path="/webhooks",
    tags=["webhooks"],
    route_handlers=[
        create_webhook_route,
        list_webhooks_route,
        get_webhook_route,
        update_webhook_route,
        delete_webhook_route,
        rotate_webhook_secret_route,
        ping_webhook_route,
        list_webhook_deliveries_route,
    ],
)

JOBS = (DISPATCH_EVENTS, DELIVER_WEBHOOKS, EXPIRE_DELIVERIES, MEASURE_WEBHOOK_BACKLOG)

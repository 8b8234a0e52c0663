from __future__ import annotations

import math
from uuid import UUID

import aiohttp
from litestar import post
from litestar.di import NamedDependency
from litestar.params import FromPath

from src.core.data.database import Database
from src.core.http.auth import Principal, bearer_security, needs_scope
from src.core.http.problems import problem_responses
from src.core.runtime.rate_counters import RateCounter, RatePolicy, Reservations
from src.core.security.outbound import OutboundGuard
from src.core.settings import Settings
from src.features.webhooks.ping_webhook.command import PingWebhook
from src.features.webhooks.ping_webhook.handler import ping_webhook
from src.features.webhooks.ping_webhook.schema import PingResult

__all__ = ("ping_webhook_route",)


@post(
    "/{webhook_id:uuid}/ping",
    operation_id="pingWebhook",
    summary="Send a webhook.ping now and see how the receiver answers",
    description="Delivered while you wait, signed like every delivery (works on a disabled webhook too). "
    "A receiver that fails is reported with `delivered: false`, still as 200. Not part of the delivery log. "
    "Limited per user (`ping` policy), and one at a time: 429 `ping_in_progress` while another is waiting. "
    "The account's address must be verified: 403 `email_not_verified` otherwise.",
    status_code=200,
    security=bearer_security("webhooks:manage"),
    opt=needs_scope("webhooks:manage", verified_email=True, rate_limit="ping"),
    responses=problem_responses(400, 401, 403, 404),
)
async def ping_webhook_route(
    webhook_id: FromPath[UUID],
    user: NamedDependency[Principal],
    database: NamedDependency[Database],
    http: NamedDependency[aiohttp.ClientSession],
    outbound: NamedDependency[OutboundGuard],
    rate_counter: NamedDependency[RateCounter],
    settings: NamedDependency[Settings],
) -> PingResult:
    command = PingWebhook(
        webhook_id=webhook_id,
        owner_id=user.user_id,
        timeout=settings.webhook_timeout,
        max_response_bytes=settings.webhook_max_response_bytes,
    )
    # A place held past the ping's own bounds (a worker that died) is freed when its window ends.
    window = math.ceil(settings.webhook_timeout * 3) + 5
    in_flight = Reservations(
        rate_counter,
        RatePolicy(name="pings-in-flight", limit=settings.webhook_ping_concurrency, window_seconds=window),
        code="ping_in_progress",
        detail="A ping of yours is still waiting for its receiver; try again when it has answered.",
    )
    return await ping_webhook(command, database=database, http=http, guard=outbound, in_flight=in_flight)

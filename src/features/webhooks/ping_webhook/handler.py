"""Send `webhook.ping` now and report what the receiver said.

The endpoint is read on a connection that goes back to the pool before the call: no
transaction or connection is held while we wait on someone else's server. A user has one
ping in flight at a time (across instances) and a rate limit; the call goes through the
request-path HTTP session, whose connections the background deliveries never share. Connection
errors (nothing listening yet, a reset) are retried briefly; an answer, even a 500, or a
timeout is reported as it is. Works on a disabled webhook too: check a receiver before
enabling it again.
"""

from __future__ import annotations

import time
from typing import Final

import aiohttp
import msgspec
from tenacity import AsyncRetrying, RetryCallState, retry_if_result, stop_after_attempt, wait_exponential_jitter

from src.core.clock import utc_now
from src.core.data.database import Database
from src.core.errors import NotFound
from src.core.ids import new_id
from src.core.runtime.rate_counters import Reservations
from src.core.security.outbound import OutboundGuard
from src.features.webhooks.ping_webhook.command import PingWebhook
from src.features.webhooks.ping_webhook.queries import SELECT_TARGET
from src.features.webhooks.ping_webhook.schema import PingResult
from src.features.webhooks.signing import AttemptResult, message_body, send_webhook

__all__ = ("PING_EVENT", "ping_webhook")

PING_EVENT: Final = "webhook.ping"
_ATTEMPTS: Final = 3


def _connection_failed(result: AttemptResult) -> bool:
    return result.error == "connection_error"


def _last_result(state: RetryCallState) -> AttemptResult:
    """Out of retries: report the last attempt instead of raising."""
    assert state.outcome is not None  # noqa: S101 - called after an attempt
    result: AttemptResult = state.outcome.result()
    return result


async def ping_webhook(
    command: PingWebhook,
    *,
    database: Database,
    http: aiohttp.ClientSession,
    guard: OutboundGuard,
    in_flight: Reservations,
) -> PingResult:
    async with database.acquire() as connection:
        row = await connection.fetchrow(SELECT_TARGET, command.webhook_id, command.owner_id)
    if row is None:
        raise NotFound("No webhook with this id.")
    url, signing_secrets = row[0], list(row[1])
    message_id = str(new_id())
    body = message_body(PING_EVENT, utc_now(), msgspec.json.encode({"webhook_id": command.webhook_id}).decode())
    retrying = AsyncRetrying(
        stop=stop_after_attempt(_ATTEMPTS),
        wait=wait_exponential_jitter(multiplier=0.2, max=1.0, jitter=0.2),
        retry=retry_if_result(_connection_failed),
        retry_error_callback=_last_result,
    )
    started = time.perf_counter()
    async with in_flight.reserve(f"webhook-pings:{command.owner_id}"):
        result: AttemptResult = await retrying(
            send_webhook,
            http,
            guard,
            url=url,
            message_id=message_id,
            body=body,
            secrets_=signing_secrets,
            timeout=command.timeout,
            max_response_bytes=command.max_response_bytes,
        )
    return PingResult(
        delivered=result.delivered,
        status_code=result.status_code,
        duration_ms=round((time.perf_counter() - started) * 1000),
        attempts=int(retrying.statistics.get("attempt_number", 1)),
        error=result.error,
    )

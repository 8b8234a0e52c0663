"""Deliver due webhook messages: claim, send outside any transaction, record the attempt.

A round keeps up to WEBHOOK_CONCURRENCY sends in flight (at most
WEBHOOK_CONCURRENCY_PER_ENDPOINT per endpoint, counted across every worker and instance),
claims more as slots free up or a NOTIFY says there is new work, and ends when nothing is
in flight. A slow receiver occupies one slot until its timeout; the others keep going.

Each delivery is traced (when tracing is on) as a span of the trace of the request that
recorded the event, linked to the job round that sends it; the receiver gets our
`traceparent`, so its own trace joins too.

Each claim is a lease (`locked_until`): a worker that dies mid-send leaves the row to be
taken again when its lease runs out, with the same `webhook-id` (at least once). On a
graceful shutdown the leases held are handed back at once.

The outcome of an attempt:
- 2xx: delivered; the endpoint's failure streak ends.
- 410 Gone: the receiver asked us to stop: the delivery fails and the endpoint is disabled.
- anything else (a status, a timeout, a connection error, a refused destination): retried
  after the next delay of WEBHOOK_RETRY_SCHEDULE (with jitter), or failed when the
  schedule is used up; an endpoint with no success for WEBHOOK_DISABLE_AFTER_SECONDS is
  disabled, and its owner sees why (`disabled_reason`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any, Final
from uuid import UUID

import msgspec

from src.core.data.database import Connection
from src.core.data.rows import from_row
from src.core.ids import new_id
from src.core.observability.logging import get_logger
from src.core.observability.metrics import WEBHOOK_ATTEMPT_DURATION, WEBHOOK_ATTEMPTS, webhook_outcome
from src.core.runtime.claims import work_through_claims
from src.core.runtime.jobs import JobContext
from src.core.runtime.retry_schedule import parse_schedule, retry_delay
from src.features.webhooks.deliver_webhooks.queries import (
    CLAIM_DUE,
    CLAIM_EACH_ENDPOINT,
    DISABLE_ENDPOINT,
    INSERT_ATTEMPT,
    MARK_FAILED,
    MARK_FAILING,
    RECORD_SUCCESS,
    RELEASE_CLAIM,
    WINDOW_IS_FULL,
)
from src.features.webhooks.signing import AttemptResult, message_body, send_webhook

__all__ = ("deliver_webhooks",)

log = get_logger(component="webhooks")

# How many of the oldest due rows a claim looks at (per kind: due, lease expired).
_CLAIM_WINDOW: Final = 1000
_GONE: Final = 410
_RELEASE_TIMEOUT: Final = 2.0


class ClaimedDelivery(msgspec.Struct, frozen=True):
    """One event for one endpoint, leased to this worker (a row of CLAIM_DUE)."""

    event_id: UUID
    endpoint_id: UUID
    attempt: int
    url: str
    secrets: list[str]
    event_type: str
    occurred_at: datetime
    data_json: str
    request_id: str | None
    traceparent: str | None
    tracestate: str | None


def lease_seconds(timeout: float) -> float:
    """Long enough for one send and its bookkeeping; short enough to recover soon."""
    return timeout * 2 + 5


async def deliver_webhooks(context: JobContext) -> int:
    settings = context.settings
    lease = lease_seconds(settings.webhook_timeout)

    async def claim(free: int) -> list[ClaimedDelivery]:
        return [from_row(ClaimedDelivery, row) for row in await _claim(context, free, lease)]

    async def deliver(delivery: ClaimedDelivery) -> None:
        await _deliver(context, delivery)

    return await work_through_claims(
        claim=claim,
        handle=deliver,
        concurrency=settings.webhook_concurrency,
        wake=context.wake,
        poll_seconds=settings.webhook_poll_seconds,
    )


async def _claim(context: JobContext, free: int, lease: float) -> list[Any]:
    """Up to `free` due deliveries: from the oldest due rows, and when those did not fill the
    free slots although more rows are due than the window holds, from each endpoint's own
    oldest (see CLAIM_EACH_ENDPOINT): one endpoint's backlog never starves the others."""
    per_endpoint = context.settings.webhook_concurrency_per_endpoint
    async with context.database.acquire() as connection:
        rows: list[Any] = await connection.fetch(CLAIM_DUE, free, per_endpoint, lease, _CLAIM_WINDOW)
        if len(rows) < free and await connection.fetchval(WINDOW_IS_FULL, _CLAIM_WINDOW):
            rows += await connection.fetch(CLAIM_EACH_ENDPOINT, free - len(rows), per_endpoint, lease)
    return rows


async def _deliver(context: JobContext, delivery: ClaimedDelivery) -> None:
    tracing = context.tracing
    if tracing is None:
        await _attempt(context, delivery)
        return
    attributes: dict[str, str | int] = {
        "webhook.event_id": str(delivery.event_id),
        "webhook.event_type": delivery.event_type,
        "webhook.endpoint_id": str(delivery.endpoint_id),
        "webhook.attempt": delivery.attempt,
    }
    with tracing.continued(
        "deliver webhook", traceparent=delivery.traceparent, tracestate=delivery.tracestate, attributes=attributes
    ) as span:
        result = await _attempt(context, delivery)
        outcome = webhook_outcome(result.error)
        span.set_attribute("webhook.outcome", outcome)
        if result.status_code is not None:
            span.set_attribute("http.response.status_code", result.status_code)
        if not result.delivered:
            tracing.failed(span, outcome)


async def _attempt(context: JobContext, delivery: ClaimedDelivery) -> AttemptResult:
    settings = context.settings
    try:
        body = message_body(delivery.event_type, delivery.occurred_at.astimezone(UTC), delivery.data_json)
        result = await send_webhook(
            context.http,
            context.outbound,
            url=delivery.url,
            message_id=str(delivery.event_id),
            body=body,
            secrets_=delivery.secrets,
            timeout=settings.webhook_timeout,
            max_response_bytes=settings.webhook_max_response_bytes,
            request_id=delivery.request_id,
        )
    except asyncio.CancelledError:
        await _release(context, delivery)
        raise
    except Exception:  # a bug must not turn one message into a poison pill: back off like any failure
        log.exception("webhook_send_crashed", event_id=str(delivery.event_id))
        result = AttemptResult(delivered=False, status_code=None, duration_ms=0, error="internal_error")
    WEBHOOK_ATTEMPTS.labels(webhook_outcome(result.error)).inc()
    WEBHOOK_ATTEMPT_DURATION.observe(result.duration_ms / 1000)
    key = (delivery.event_id, delivery.endpoint_id, delivery.attempt)
    try:
        if result.delivered:
            async with context.database.acquire() as connection:
                await connection.execute(RECORD_SUCCESS, *key, new_id(), result.status_code, result.duration_ms)
        else:
            async with context.database.transaction() as transaction:
                await _record_failure(transaction, context, delivery, result)
    except Exception:  # the lease runs out and the delivery is tried again
        log.exception("webhook_record_failed", event_id=str(delivery.event_id), endpoint_id=str(delivery.endpoint_id))
    return result


async def _record_failure(
    transaction: Connection, context: JobContext, delivery: ClaimedDelivery, result: AttemptResult
) -> None:
    key = (delivery.event_id, delivery.endpoint_id, delivery.attempt)
    await transaction.execute(
        INSERT_ATTEMPT, new_id(), *key, result.delivered, result.status_code, result.error, result.duration_ms
    )
    settings = context.settings
    gone = result.status_code == _GONE
    retry_in = None if gone else retry_delay(parse_schedule(settings.webhook_retry_schedule), delivery.attempt)
    await transaction.execute(MARK_FAILED, *key, retry_in)
    streak = await transaction.fetchrow(
        MARK_FAILING, delivery.endpoint_id, float(settings.webhook_disable_after_seconds)
    )
    log.info(
        "webhook_attempt_failed",
        event_id=str(delivery.event_id),
        endpoint_id=str(delivery.endpoint_id),
        attempt=delivery.attempt,
        error=result.error,
        retry_in_s=None if retry_in is None else round(retry_in, 1),
    )
    reason = None
    if gone:
        reason = "The receiver answered 410 Gone: it asked for no more deliveries."
    elif streak is not None and streak[2]:
        since = streak[1].astimezone(UTC).isoformat().replace("+00:00", "Z")
        reason = f"No successful delivery since {since}; the last attempt failed with {result.error}."
    if reason is not None and streak is not None and streak[0]:
        await transaction.execute(DISABLE_ENDPOINT, delivery.endpoint_id, reason)
        log.warning("webhook_endpoint_disabled", endpoint_id=str(delivery.endpoint_id), reason=reason)


async def _release(context: JobContext, delivery: ClaimedDelivery) -> None:
    try:
        async with asyncio.timeout(_RELEASE_TIMEOUT), context.database.acquire() as connection:
            await connection.execute(RELEASE_CLAIM, delivery.event_id, delivery.endpoint_id, delivery.attempt)
    except Exception:  # the lease runs out instead
        log.warning("webhook_release_failed", event_id=str(delivery.event_id), exc_info=True)

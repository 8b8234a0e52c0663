"""Send due messages from the mail outbox: claim, send outside any transaction, record.

A round keeps up to MAIL_CONCURRENCY sends in flight, claims more as slots free up or a
NOTIFY says there is new mail, and ends when nothing is in flight. Each claim is a lease
(`locked_until`): a worker that dies mid-send leaves the message to be taken again when
the lease runs out; on a graceful shutdown the leases held are handed back at once.
SMTP has no idempotency key: a worker that dies after the relay's 250 and before
recording it sends the message again after the lease, with the same Message-ID (which
mail systems may use to drop the copy).

The outcome of an attempt:
- accepted (250): sent; the message and its recipient are wiped from the row.
- a permanent refusal (5xx but 535): given up at once, wiped too.
- anything else (4xx, 535, a timeout, a lost connection): retried after the next delay of
  MAIL_RETRY_SCHEDULE (with jitter), or given up (wiped) when the schedule is used up.

Logs name the kind, id, attempt and error; never the recipient in full, never the body.
"""

from __future__ import annotations

import asyncio
import time
from typing import Final
from uuid import UUID

import msgspec

from src.core.data.rows import from_row
from src.core.observability.logging import get_logger
from src.core.observability.metrics import MAIL_ATTEMPT_DURATION, MAIL_ATTEMPTS
from src.core.runtime.claims import work_through_claims
from src.core.runtime.jobs import JobContext
from src.core.runtime.mail import Mailer, SendFailure
from src.core.runtime.retry_schedule import parse_schedule, retry_delay
from src.features.mail.deliver_mail.queries import CLAIM_DUE, MARK_FAILED, MARK_SENT, RELEASE_CLAIM

__all__ = ("deliver_mail", "lease_seconds")

log = get_logger(component="mail")

_RELEASE_TIMEOUT: Final = 2.0


class ClaimedMail(msgspec.Struct, frozen=True):
    """One message, leased to this worker (a row of CLAIM_DUE)."""

    id: UUID
    kind: str
    attempt: int
    recipient: str
    message: bytes
    request_id: str | None
    traceparent: str | None
    tracestate: str | None


def lease_seconds(timeout: float) -> float:
    """Long enough for one conversation (connect, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA:
    each bounded by SMTP_TIMEOUT, the message's upload by a few more) and its bookkeeping."""
    return timeout * 6 + 10


async def deliver_mail(context: JobContext) -> int:
    mailer = context.mail
    if mailer is None:  # a job context built without one (tests of other jobs)
        return 0
    settings = context.settings
    lease = lease_seconds(settings.smtp_timeout)

    async def claim(free: int) -> list[ClaimedMail]:
        async with context.database.acquire() as connection:
            rows = await connection.fetch(CLAIM_DUE, free, lease)
        return [from_row(ClaimedMail, row) for row in rows]

    async def send(mail: ClaimedMail) -> None:
        await _deliver(context, mailer, mail)

    return await work_through_claims(
        claim=claim,
        handle=send,
        concurrency=settings.mail_concurrency,
        wake=context.wake,
        poll_seconds=settings.mail_poll_seconds,
    )


async def _deliver(context: JobContext, mailer: Mailer, mail: ClaimedMail) -> None:
    tracing = context.tracing
    if tracing is None:
        await _attempt(context, mailer, mail)
        return
    attributes: dict[str, str | int] = {"mail.id": str(mail.id), "mail.kind": mail.kind, "mail.attempt": mail.attempt}
    with tracing.continued(
        "send mail", traceparent=mail.traceparent, tracestate=mail.tracestate, attributes=attributes
    ) as span:
        error = await _attempt(context, mailer, mail)
        if error is not None:
            tracing.failed(span, error)


async def _attempt(context: JobContext, mailer: Mailer, mail: ClaimedMail) -> str | None:
    """Sends one message and records the outcome; returns the error, None when sent."""
    started = time.perf_counter()
    failure: SendFailure | None = None
    try:
        await mailer.send(mail.recipient, mail.message)
    except asyncio.CancelledError:
        await _release(context, mail)
        raise
    except SendFailure as exc:
        failure = exc
    except Exception:  # a bug must not turn one message into a poison pill: back off like any failure
        log.exception("mail_send_crashed", mail_id=str(mail.id))
        failure = SendFailure("internal_error", permanent=False)
    MAIL_ATTEMPT_DURATION.observe(time.perf_counter() - started)
    retry_in = None
    if failure is not None and not failure.permanent:
        retry_in = retry_delay(parse_schedule(context.settings.mail_retry_schedule), mail.attempt)
    outcome = "sent" if failure is None else "retried" if retry_in is not None else "failed"
    MAIL_ATTEMPTS.labels(mail.kind, outcome).inc()
    try:
        async with context.database.acquire() as connection:
            if failure is None:
                await connection.execute(MARK_SENT, mail.id, mail.attempt)
            else:
                await connection.execute(MARK_FAILED, mail.id, mail.attempt, retry_in, failure.error)
    except Exception:  # the lease runs out and the message is tried again
        log.exception("mail_record_failed", mail_id=str(mail.id))
    details = {"mail_id": str(mail.id), "kind": mail.kind, "attempt": mail.attempt, "to": mail.recipient}
    if failure is None:
        log.info("mail_sent", **details)
        return None
    if retry_in is None:
        log.warning("mail_failed", **details, error=failure.error, permanent=failure.permanent)
    else:
        log.info("mail_attempt_failed", **details, error=failure.error, retry_in_s=round(retry_in, 1))
    return failure.error


async def _release(context: JobContext, mail: ClaimedMail) -> None:
    try:
        async with asyncio.timeout(_RELEASE_TIMEOUT), context.database.acquire() as connection:
            await connection.execute(RELEASE_CLAIM, mail.id, mail.attempt)
    except Exception:  # the lease runs out instead
        log.warning("mail_release_failed", mail_id=str(mail.id), exc_info=True)

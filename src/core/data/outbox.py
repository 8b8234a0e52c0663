"""The transactional outbox: domain events written with the change that caused them.

A slice calls `record_event` on the request's transaction; the event commits or rolls
back with the change, so subscribers never hear of a change that did not happen and
never miss one that did. Delivery (webhooks) reads the table later, in the background,
woken by a NOTIFY on `OUTBOX_CHANNEL`.

The event keeps the request id and, when tracing is on, the trace context of the request
that wrote it: what happens later because of it (a webhook delivery) joins that trace.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

import msgspec

from src.core.data.database import Connection
from src.core.ids import new_id
from src.core.observability.request_context import current_request_id, current_trace, traceparent

__all__ = ("OUTBOX_CHANNEL", "record_event")

# Every insert into the outbox sends a NOTIFY on this channel (a statement trigger, see
# migrations/0004_webhooks.sql): readers (the webhook dispatcher) wake on it, and poll as a fallback.
OUTBOX_CHANNEL: Final = "outbox_events"

INSERT_EVENT: Final = """
INSERT INTO outbox_events (id, type, owner_id, data, request_id, traceparent, tracestate)
VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)
"""


async def record_event(connection: Connection, *, type: str, owner_id: UUID, data: Any) -> UUID:  # noqa: A002
    """`type` is past tense (`avatar.created`); `owner_id` is whose subscribers hear it."""
    event_id = new_id()
    payload = msgspec.json.encode(data).decode()
    trace = current_trace()
    await connection.execute(
        INSERT_EVENT,
        event_id,
        type,
        owner_id,
        payload,
        current_request_id(),
        None if trace is None else traceparent(trace),
        (trace.state or None) if trace is not None else None,
    )
    return event_id

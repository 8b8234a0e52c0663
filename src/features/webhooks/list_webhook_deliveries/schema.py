from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from src.core.data.pagination import Page

__all__ = ("DeliveryAttemptView", "DeliveryAttemptsPage")


class DeliveryAttemptView(msgspec.Struct, frozen=True):
    """One attempt to deliver one event to this webhook."""

    id: UUID
    event_id: Annotated[UUID, Meta(description="Sent as `webhook-id`: the same on every attempt of an event")]
    event_type: Annotated[str, Meta(examples=["avatar.created"])]
    attempt: Annotated[int, Meta(ge=1, description="1 for the first try, 2 for the first retry...")]
    succeeded: bool
    status_code: Annotated[int | None, Meta(description="The receiver's status; null when there was no answer")]
    error: Annotated[
        str | None,
        Meta(
            description="Why it failed: http_<status>, timeout, connection_error, blocked_destination, http_error",
            examples=["http_500"],
        ),
    ]
    duration_ms: Annotated[int, Meta(ge=0)]
    attempted_at: datetime
    delivery_status: Annotated[
        Literal["pending", "delivering", "succeeded", "failed"],
        Meta(description="Where the delivery of this event stands now; failed: retries used up, or disabled by 410"),
    ]
    next_attempt_at: Annotated[
        datetime | None, Meta(description="When the next retry is due (on the latest attempt of a pending delivery)")
    ]


class DeliveryAttemptsPage(Page[DeliveryAttemptView], frozen=True):
    """Delivery attempts, newest first (`data` restated: OpenAPI does not resolve a generic base)."""

    data: list[DeliveryAttemptView]

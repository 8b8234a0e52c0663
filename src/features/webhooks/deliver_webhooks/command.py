from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

__all__ = ("ClaimedDelivery",)


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

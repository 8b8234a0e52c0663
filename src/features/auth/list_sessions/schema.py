from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

__all__ = ("SessionView",)


class SessionView(msgspec.Struct, frozen=True):
    """One signed-in device. Fields in the order the query selects them."""

    id: UUID
    user_agent: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool
    """Whether this is the session of the access token making the request."""

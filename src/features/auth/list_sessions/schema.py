from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from src.core.data.pagination import Page

__all__ = ("SessionView", "SessionsPage")


class SessionView(msgspec.Struct, frozen=True):
    """One signed-in device."""

    id: UUID
    user_agent: str | None
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool
    """Whether this is the session of the access token making the request."""


class SessionsPage(Page[SessionView], frozen=True):
    """A page of sessions: a named type, so generated SDKs get a readable name.

    `data` is restated because OpenAPI generation does not resolve a generic base."""

    data: list[SessionView]

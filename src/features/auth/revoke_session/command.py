from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("RevokeSession",)


class RevokeSession(msgspec.Struct, frozen=True, kw_only=True):
    session_id: UUID
    user_id: UUID
    """From the token: a user can only end their own sessions."""

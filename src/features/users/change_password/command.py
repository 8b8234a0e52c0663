from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("ChangePassword",)


class ChangePassword(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    session_id: UUID
    """The session making the change: it stays signed in, every other one ends."""
    current_password: str
    new_password: str

from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("ChangeEmail",)


class ChangeEmail(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    new_email: str
    """As sent; compared and stored normalised (NFC, lower case)."""
    current_password: str

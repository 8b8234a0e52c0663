from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from src.core.text import EmailAddress, Name, Password

__all__ = ("NewAccountResponse", "SignUpRequest")


class SignUpRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    email: EmailAddress
    password: Password
    display_name: Name


class NewAccountResponse(msgspec.Struct, frozen=True):
    """The new account (the INSERT's RETURNING columns, mapped by name)."""

    id: UUID
    email: str
    display_name: str
    created_at: datetime

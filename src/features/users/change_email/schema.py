from __future__ import annotations

import msgspec

from src.core.text import CurrentPassword, EmailAddress

__all__ = ("ChangeEmailRequest", "EmailChangePending")


class ChangeEmailRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    new_email: EmailAddress
    current_password: CurrentPassword


class EmailChangePending(msgspec.Struct, frozen=True):
    """A confirmation link is on its way to the new address; nothing changed yet."""

    expires_in: int
    """Seconds the link works for."""

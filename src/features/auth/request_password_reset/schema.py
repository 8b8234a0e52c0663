from __future__ import annotations

import msgspec

from src.core.text import EmailAddress

__all__ = ("PasswordResetRequest", "PasswordResetRequested")

# The one answer, whether or not an account has the address.
ANSWER = "If an account has this address, a link to reset its password is on its way."


class PasswordResetRequest(msgspec.Struct, forbid_unknown_fields=True):
    email: EmailAddress


class PasswordResetRequested(msgspec.Struct, frozen=True):
    detail: str = ANSWER

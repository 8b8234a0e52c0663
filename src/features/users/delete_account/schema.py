from __future__ import annotations

import msgspec

from src.core.text import CurrentPassword

__all__ = ("DeleteAccountRequest",)


class DeleteAccountRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Deleting an account is for its owner, not for whoever holds a token: the password
    is asked again (re-authentication). Success is 204, with no body."""

    current_password: CurrentPassword

from __future__ import annotations

import msgspec

from src.core.text import CurrentPassword, MfaCode

__all__ = ("DisableTotpRequest",)


class DisableTotpRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Both factors, again: a stolen session with the password alone, or a stolen phone
    alone, cannot remove the second factor. Success is 204, with no body."""

    current_password: CurrentPassword
    code: MfaCode

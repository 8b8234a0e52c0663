from __future__ import annotations

import msgspec

__all__ = ("SignUp",)


class SignUp(msgspec.Struct, frozen=True, kw_only=True):
    email: str
    """Normalised: trimmed, NFC, lower-cased."""
    password: str
    display_name: str
    """Trimmed and NFC-normalised."""

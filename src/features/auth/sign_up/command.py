from __future__ import annotations

import msgspec

__all__ = ("SignUp",)


class SignUp(msgspec.Struct, frozen=True, kw_only=True):
    email: str
    """As sent; the handler stores it normalised (NFC, lower case)."""
    password: str
    display_name: str
    """As sent; the handler stores it trimmed and NFC-normalised."""

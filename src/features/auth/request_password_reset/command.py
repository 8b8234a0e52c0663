from __future__ import annotations

import msgspec

__all__ = ("RequestPasswordReset",)


class RequestPasswordReset(msgspec.Struct, frozen=True):
    email: str
    """As sent; compared normalised (NFC, lower case)."""

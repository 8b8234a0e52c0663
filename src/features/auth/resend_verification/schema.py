from __future__ import annotations

import msgspec

__all__ = ("VerificationSent",)


class VerificationSent(msgspec.Struct, frozen=True):
    """The new link is on its way (to the account's address)."""

    expires_in: int
    """Seconds the new link works for."""

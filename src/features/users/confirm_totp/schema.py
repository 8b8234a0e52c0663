from __future__ import annotations

import msgspec

from src.core.text import MfaCode

__all__ = ("ConfirmTotpRequest",)


class ConfirmTotpRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A code from the authenticator app the secret was just added to: proof that it works."""

    code: MfaCode

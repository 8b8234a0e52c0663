from __future__ import annotations

import msgspec

from src.core.text import MfaCode

__all__ = ("RegenerateBackupCodesRequest",)


class RegenerateBackupCodesRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A code (TOTP, or one of the backup codes being replaced) proves the second factor."""

    code: MfaCode

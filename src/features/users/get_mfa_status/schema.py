from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

__all__ = ("MfaStatus",)


class MfaStatus(msgspec.Struct, frozen=True):
    """Rows map in by column name: `from_row(MfaStatus, row)`."""

    totp: Annotated[
        Literal["off", "pending", "on"],
        Meta(description="`pending`: enrolled, not yet confirmed with a code; `on`: logins ask for a code"),
    ]
    backup_codes_remaining: Annotated[int, Meta(ge=0, description="Unused backup codes (0 while TOTP is not on)")]

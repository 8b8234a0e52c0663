"""The users feature's read model: the profile, as every users slice returns it, and the
backup codes that confirming TOTP and regenerating them both answer with.

Shared by this feature's slices only (the import contracts allow a feature's
`read_model` and nothing else of a sibling slice), so the API has one `Profile` type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import msgspec
from msgspec import Meta

__all__ = ("BackupCodes", "Profile")


class Profile(msgspec.Struct, frozen=True):
    """Rows map in by column name: `from_row(Profile, row)`."""

    id: UUID
    email: str
    email_verified: bool
    """Whether the address was proven with a verification link (unverified accounts may not
    create or ping webhooks while EMAIL_VERIFICATION_REQUIRED)."""
    display_name: str
    created_at: datetime
    updated_at: datetime


class BackupCodes(msgspec.Struct, frozen=True, kw_only=True):
    """Shown once: only their hashes are kept. Each signs in once in place of a TOTP code."""

    backup_codes: Annotated[
        list[str],
        Meta(
            description="Ten one-time codes; keep them somewhere safe, apart from the phone",
            examples=[["7K3Q-9ZPM-2HXV-W4TR", "N8C1-QJ5D-XR0B-6MFA"]],
        ),
    ]

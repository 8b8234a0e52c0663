"""The users feature's read model: the profile, as every users slice returns it.

Shared by this feature's slices only (the import contracts allow a feature's
`read_model` and nothing else of a sibling slice), so the API has one `Profile` type.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

__all__ = ("Profile",)


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

from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("GetProfile",)


class GetProfile(msgspec.Struct, frozen=True):
    user_id: UUID
    """From the access token, never from the request."""

from __future__ import annotations

import msgspec

from src.core.text import Name

__all__ = ("UpdateProfileRequest",)


class UpdateProfileRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Only what is sent changes; `{}` changes nothing."""

    display_name: Name | msgspec.UnsetType = msgspec.UNSET

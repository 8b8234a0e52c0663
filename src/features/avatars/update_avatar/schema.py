from __future__ import annotations

import msgspec

from src.core.text import Name
from src.features.avatars.read_model import Color

__all__ = ("UpdateAvatarRequest",)


class UpdateAvatarRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Only what is sent changes. The response is the feature's AvatarView."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    color: Color | msgspec.UnsetType = msgspec.UNSET

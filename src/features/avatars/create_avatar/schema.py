from __future__ import annotations

import msgspec

from src.core.text import Name
from src.features.avatars.read_model import Color

__all__ = ("CreateAvatarRequest",)


class CreateAvatarRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The response is the feature's AvatarView (see read_model.py)."""

    name: Name
    color: Color

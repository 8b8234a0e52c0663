from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from src.core.text import Name

__all__ = ("CreateAvatarRequest",)

type Color = Annotated[str, Meta(pattern=r"^#[0-9A-Fa-f]{6}$", description="#RRGGBB", examples=["#3A7BD5"])]


class CreateAvatarRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """The response is the feature's AvatarView (see read_model.py)."""

    name: Name
    color: Color

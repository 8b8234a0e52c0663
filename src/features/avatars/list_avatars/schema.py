from __future__ import annotations

from src.core.data.pagination import Page
from src.features.avatars.read_model import AvatarView

__all__ = ("AvatarsPage",)


class AvatarsPage(Page[AvatarView], frozen=True):
    """A page of avatars, newest first (`data` restated: OpenAPI does not resolve a generic base)."""

    data: list[AvatarView]

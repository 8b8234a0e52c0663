from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

__all__ = ("RefreshRequest",)

_EXAMPLE = "Yx8Lq3VbZb7mDZ6j0x0JYk0u2pbe8fN3wXa9pQy0s4I"


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: Annotated[
        str, Meta(min_length=1, max_length=256, description="From the last login or refresh", examples=[_EXAMPLE])
    ]

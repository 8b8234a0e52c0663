from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ("StartupResponse",)


class StartupResponse(msgspec.Struct, frozen=True):
    status: Literal["ok", "starting"]

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ("LivenessResponse",)


class LivenessResponse(msgspec.Struct, frozen=True):
    status: Literal["ok"] = "ok"

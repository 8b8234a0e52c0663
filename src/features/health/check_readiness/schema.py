from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ("ReadinessResponse",)

type CheckResult = Literal["ok", "unavailable", "timeout", "pending", "not_started"]


class ReadinessResponse(msgspec.Struct, frozen=True):
    status: Literal["ok", "unavailable"]
    checks: dict[str, CheckResult]

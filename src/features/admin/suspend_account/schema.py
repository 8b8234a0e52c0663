from __future__ import annotations

import msgspec

from src.features.admin.read_model import Reason

__all__ = ("SuspendAccountRequest",)


class SuspendAccountRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    reason: Reason

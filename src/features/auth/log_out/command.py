from __future__ import annotations

import msgspec

__all__ = ("LogOut",)


class LogOut(msgspec.Struct, frozen=True):
    refresh_token: str

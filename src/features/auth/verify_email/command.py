from __future__ import annotations

import msgspec

__all__ = ("VerifyEmail",)


class VerifyEmail(msgspec.Struct, frozen=True):
    token: str

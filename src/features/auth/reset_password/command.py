from __future__ import annotations

import msgspec

__all__ = ("ResetPassword",)


class ResetPassword(msgspec.Struct, frozen=True, kw_only=True):
    token: str
    new_password: str

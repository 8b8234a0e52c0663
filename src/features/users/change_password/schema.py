from __future__ import annotations

import msgspec

from src.core.text import CurrentPassword, Password

__all__ = ("ChangePasswordRequest",)


class ChangePasswordRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    current_password: CurrentPassword
    new_password: Password

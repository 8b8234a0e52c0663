from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from src.core.text import Password

__all__ = ("ChangePasswordRequest",)


class ChangePasswordRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    current_password: Annotated[str, Meta(min_length=1, max_length=1024, examples=["correct horse battery staple"])]
    new_password: Password

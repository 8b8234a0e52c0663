"""The request body; the answer (`BrowserSession`) is shared by the browser routes
(src/features/auth/browser_mode.py)."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from src.core.text import EmailAddress

__all__ = ("BrowserLogInRequest",)


class BrowserLogInRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    email: EmailAddress
    # Not held to the sign-up rules: an account made under older rules can still log in.
    password: Annotated[str, Meta(min_length=1, max_length=1024, examples=["correct horse battery staple"])]

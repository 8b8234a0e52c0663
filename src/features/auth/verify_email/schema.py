from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from src.core.security.account_tokens import TOKEN_PATTERN

__all__ = ("AccountToken", "VerifyEmailRequest")

type AccountToken = Annotated[
    str,
    Meta(
        pattern=TOKEN_PATTERN,
        description="The token of the link in the e-mail (after `#token=`)",
        examples=["kT0a8vQ2mN5rX7yB1cD3eF4gH6jK9lP0qR2sT4uV6wX"],
    ),
]


class VerifyEmailRequest(msgspec.Struct, forbid_unknown_fields=True):
    token: AccountToken

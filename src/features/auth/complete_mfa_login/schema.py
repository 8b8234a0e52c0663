from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from src.core.text import MfaCode

__all__ = ("CompleteMfaRequest",)


class CompleteMfaRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    mfa_token: Annotated[
        str,
        Meta(
            min_length=1,
            max_length=256,
            description="From the login's 403 `mfa_required` answer",
            examples=["q8Yh2r0m3Vb7dZ6j0x0JYk0u2pbe8fN3wXa9pQy0s4I"],
        ),
    ]
    code: MfaCode

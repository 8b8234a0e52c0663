from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from src.core.security.api_keys import Scope
from src.core.text import Name
from src.features.api_keys.read_model import ApiKeyView

__all__ = ("CreateApiKeyRequest", "CreatedApiKey")


class CreateApiKeyRequest(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Name
    scopes: Annotated[
        list[Scope],
        Meta(
            min_length=1,
            max_length=6,
            description="What the key may do; `admin` only for a moderator or an admin (and only while they are)",
            examples=[["avatars:read", "avatars:write"]],
        ),
    ]
    expires_at: (
        Annotated[
            datetime,
            Meta(
                tz=True,
                description="When it stops working (within a year, with its offset)",
                examples=["2027-06-30T00:00:00Z"],
            ),
        ]
        | None
    ) = None


class CreatedApiKey(ApiKeyView, frozen=True, kw_only=True):
    key: Annotated[
        str,
        Meta(description="The key: shown this once, keep it secret; send it as `Authorization: Bearer <key>`"),
    ]

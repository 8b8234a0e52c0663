from __future__ import annotations

from datetime import datetime
from uuid import UUID

import msgspec

from src.core.security.api_keys import Scope

__all__ = ("CreateApiKey",)


class CreateApiKey(msgspec.Struct, frozen=True, kw_only=True):
    user_id: UUID
    name: str
    scopes: frozenset[Scope]
    expires_at: datetime | None

from __future__ import annotations

from uuid import UUID

import msgspec

__all__ = ("SuspendAccount",)


class SuspendAccount(msgspec.Struct, frozen=True, kw_only=True):
    account_id: UUID
    reason: str
    actor_id: UUID
    actor_credential: str | None = None
    """What the actor acted with (`session:<id>`, `api_key:<id>`), for the audit log."""

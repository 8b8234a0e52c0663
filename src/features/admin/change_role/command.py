from __future__ import annotations

from uuid import UUID

import msgspec

from src.core.security.roles import Role

__all__ = ("ChangeRole",)


class ChangeRole(msgspec.Struct, frozen=True, kw_only=True):
    account_id: UUID
    role: Role
    reason: str
    actor_id: UUID | None
    """None: an operator at the command line (`api users grant`)."""
    actor_credential: str | None = None
    """What the actor acted with (`session:<id>`, `api_key:<id>`), for the audit log."""
    only_from: Role | None = None
    """Change it only if the account has this role now (`api users revoke`)."""

"""The audit log: every moderator's and admin's action, written in the transaction that
makes the change (a change that rolls back leaves no entry; an entry never exists without
its change). The table is append-only (migration 0008: UPDATE, DELETE and TRUNCATE are
refused by a trigger). Shared by this feature's slices and the `api users` command.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

import msgspec

from src.core.data.database import Connection
from src.core.ids import new_id
from src.core.observability.request_context import current_request_id
from src.features.admin.read_model import ActorRole, AuditAction

__all__ = ("record_action",)

INSERT_AUDIT_ENTRY: Final = """
INSERT INTO audit_log (id, actor_id, actor_role, action, target_type, target_id, reason, details, request_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)
"""

_encode: Final = msgspec.json.Encoder().encode


async def record_action(
    connection: Connection,
    *,
    actor_id: UUID | None,
    actor_role: ActorRole,
    action: AuditAction,
    target: tuple[str, UUID],
    reason: str | None,
    details: dict[str, Any] | None = None,
    credential: str | None = None,
) -> None:
    """`credential`: what the actor acted with (`session:<id>`, `api_key:<id>`), kept in details."""
    target_type, target_id = target
    if credential is not None:
        details = {**(details or {}), "credential": credential}
    await connection.execute(
        INSERT_AUDIT_ENTRY,
        new_id(),
        actor_id,
        actor_role,
        action,
        target_type,
        target_id,
        reason,
        _encode(details or {}).decode(),
        current_request_id(),
    )

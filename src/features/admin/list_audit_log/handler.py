"""The audit log, newest first: every action of the staff and of operators."""

from __future__ import annotations

from typing import Any

import asyncpg
import msgspec

from src.core.data.database import Connection
from src.core.data.pagination import PageResult
from src.features.admin.list_audit_log.command import ListAuditLog
from src.features.admin.list_audit_log.queries import LIST_AUDIT_LOG
from src.features.admin.read_model import AuditEntry

__all__ = ("list_audit_log",)


def _entry(row: asyncpg.Record) -> AuditEntry:
    details: dict[str, Any] = msgspec.json.decode(row["details"])
    return AuditEntry(
        id=row["id"],
        occurred_at=row["occurred_at"],
        actor_id=row["actor_id"],
        actor_role=row["actor_role"],
        action=row["action"],
        target_type=row["target_type"],
        target_id=row["target_id"],
        reason=row["reason"],
        details=details,
        request_id=row["request_id"],
    )


async def list_audit_log(command: ListAuditLog, *, connection: Connection) -> PageResult[AuditEntry]:
    page = command.page
    rows = await connection.fetch(LIST_AUDIT_LOG, *page.position, page.fetch_size, command.target_id)
    return page.result(rows, item=_entry)

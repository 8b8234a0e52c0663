from __future__ import annotations

from typing import Any
from uuid import UUID

from litestar import Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from src.core.data.database import Connection
from src.core.data.pagination import DEFAULT_LIMIT, CursorCodec
from src.core.http.auth import Actor, bearer_security, requires_role
from src.core.http.paging import CursorParam, LimitParam
from src.core.http.problems import problem_responses
from src.features.admin.list_audit_log.command import ListAuditLog
from src.features.admin.list_audit_log.handler import list_audit_log
from src.features.admin.list_audit_log.schema import AuditLogPage

__all__ = ("list_audit_log_route",)


@get(
    "/audit-log",
    operation_id="listAuditLog",
    summary="The audit log (admins)",
    description="Every action of a moderator, an admin or an operator at the command line: who, what, on what, "
    "why, the request id, when. Newest first, cursor-paginated; `target_id` narrows it to one account or avatar. "
    "Append-only: kept in the database, never changed or deleted.",
    security=bearer_security("admin"),
    opt=requires_role("admin"),
    responses=problem_responses(400, 401, 403),
)
async def list_audit_log_route(
    request: Request[Any, Any, Any],
    actor: NamedDependency[Actor],
    connection: NamedDependency[Connection],
    cursors: NamedDependency[CursorCodec],
    target_id: FromQuery[UUID | None] = None,
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = "",
) -> AuditLogPage:
    pagination = cursors.paginate(
        request.url.path, scope="admin.audit_log", filters={"target_id": target_id}, limit=limit, cursor=cursor
    )
    command = ListAuditLog(target_id=target_id, page=pagination.request)
    return pagination.page(AuditLogPage, await list_audit_log(command, connection=connection))

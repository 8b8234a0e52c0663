from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.di import NamedDependency

from src.core.data.database import Connection
from src.core.data.pagination import DEFAULT_LIMIT, CursorCodec
from src.core.http.auth import BEARER_SECURITY, SessionPrincipal
from src.core.http.paging import CursorParam, LimitParam
from src.core.http.problems import problem_responses
from src.features.auth.list_sessions.command import ListSessions
from src.features.auth.list_sessions.handler import list_sessions
from src.features.auth.list_sessions.schema import SessionsPage

__all__ = ("list_sessions_route",)


@get(
    "/sessions",
    operation_id="listSessions",
    summary="List your active sessions (signed-in devices)",
    description=(
        "One entry per signed-in device: when it started, was last used and expires, its user "
        "agent, and `current` for the session of this request. Cursor pages."
    ),
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401),
)
async def list_sessions_route(
    request: Request[Any, Any, Any],
    user: NamedDependency[SessionPrincipal],
    connection: NamedDependency[Connection],
    cursors: NamedDependency[CursorCodec],
    limit: LimitParam = DEFAULT_LIMIT,
    cursor: CursorParam = "",
) -> SessionsPage:
    pagination = cursors.paginate(request.url.path, scope=f"sessions:{user.user_id}", limit=limit, cursor=cursor)
    command = ListSessions(user_id=user.user_id, current_session_id=user.session_id, page=pagination.request)
    return pagination.page(SessionsPage, await list_sessions(command, connection=connection))

from __future__ import annotations

from uuid import UUID

from litestar import delete
from litestar.di import NamedDependency
from litestar.params import FromPath

from src.core.data.database import Connection
from src.core.http.auth import BEARER_SECURITY, Principal
from src.core.http.problems import problem_responses
from src.features.auth.revoke_session.command import RevokeSession
from src.features.auth.revoke_session.handler import revoke_session

__all__ = ("revoke_session_route",)


@delete(
    "/sessions/{session_id:uuid}",
    operation_id="revokeSession",
    summary="End one of your sessions (sign a device out)",
    description=(
        "Its refresh token and its access tokens stop working at once (every request checks its "
        "session). Revoking the current session logs this device out. Only your own sessions (404 "
        "otherwise)."
    ),
    security=BEARER_SECURITY,
    responses=problem_responses(400, 401, 404),
)
async def revoke_session_route(
    session_id: FromPath[UUID], user: NamedDependency[Principal], transaction: NamedDependency[Connection]
) -> None:
    await revoke_session(RevokeSession(session_id=session_id, user_id=user.user_id), transaction=transaction)

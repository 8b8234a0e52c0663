from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency

from src.core.data.database import Connection
from src.core.http.auth import BEARER_SECURITY, SessionPrincipal
from src.core.http.problems import problem_responses
from src.features.users.get_mfa_status.command import GetMfaStatus
from src.features.users.get_mfa_status.handler import get_mfa_status
from src.features.users.get_mfa_status.schema import MfaStatus

__all__ = ("get_mfa_status_route",)


@get(
    "/me/mfa",
    operation_id="getMyMfaStatus",
    summary="Your two-factor sign-in: off, pending or on",
    description="Whether logins ask for a TOTP code (`on`), an enrolment waits for its confirming code "
    "(`pending`), or neither (`off`); and how many unused backup codes are left. A session's access token only: "
    "API keys never see or manage the second factor.",
    security=BEARER_SECURITY,
    responses=problem_responses(401, 403, 404),
)
async def get_mfa_status_route(
    user: NamedDependency[SessionPrincipal], connection: NamedDependency[Connection]
) -> MfaStatus:
    return await get_mfa_status(GetMfaStatus(user_id=user.user_id), connection=connection)

from __future__ import annotations

from litestar import post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.problems import problem_responses
from src.core.security.tokens import TokenPair, TokenService
from src.core.settings import Settings
from src.features.auth.refresh_session.command import RefreshSession
from src.features.auth.refresh_session.handler import refresh_session
from src.features.auth.refresh_session.schema import RefreshRequest

__all__ = ("refresh_session_route",)


@post(
    "/refresh",
    operation_id="refreshSession",
    summary="Exchange a refresh token for a new pair",
    description="The refresh token is spent: use the new one next time. Presenting a spent token again "
    "revokes its whole session (401), for the thief and the owner alike; except within "
    "REFRESH_REUSE_GRACE_SECONDS of its rotation (two tabs, a retry), which gets the same new refresh token "
    "(409 `refresh_token_rotated` if that one was already used).",
    status_code=200,
    responses=problem_responses(400, 401, 409, 413, 415),
)
async def refresh_session_route(
    data: JSONBody[RefreshRequest],
    database: NamedDependency[Database],
    tokens: NamedDependency[TokenService],
    settings: NamedDependency[Settings],
) -> TokenPair:
    command = RefreshSession(
        refresh_token=data.refresh_token,
        refresh_ttl_seconds=settings.refresh_token_ttl_seconds,
        reuse_grace_seconds=settings.refresh_reuse_grace_seconds,
    )
    return await refresh_session(command, database=database, tokens=tokens)

from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.problems import problem_responses, sign_in_refused_response
from src.core.runtime.password_checks import PasswordChecks
from src.core.security.passwords import PasswordHasher
from src.core.security.tokens import TokenPair, TokenService
from src.core.settings import Settings
from src.features.auth.log_in.command import LogIn
from src.features.auth.log_in.handler import log_in
from src.features.auth.log_in.schema import LogInRequest

__all__ = ("log_in_route",)


@post(
    "/login",
    operation_id="logIn",
    summary="Log in: get an access token and a refresh token",
    description="Opens a session (one per device). Unknown e-mail and wrong password are the same 401 "
    "`invalid_credentials`; a suspended account's right password is 403 `account_suspended`. An account with "
    "two-factor sign-in gets no tokens for the password alone: 403 `mfa_required`, with an `mfa_token` that "
    "`POST /auth/login/mfa` completes with a code. Rate limited by the strict `auth` policy, and per account "
    "after repeated failures.",
    status_code=200,
    opt={"rate_limit": "auth"},
    responses=dict(sorted({**problem_responses(400, 401, 413, 415), 403: sign_in_refused_response()}.items())),
)
async def log_in_route(
    request: Request[Any, Any, Any],
    data: JSONBody[LogInRequest],
    database: NamedDependency[Database],
    passwords: NamedDependency[PasswordHasher],
    tokens: NamedDependency[TokenService],
    password_checks: NamedDependency[PasswordChecks],
    settings: NamedDependency[Settings],
) -> TokenPair:
    command = LogIn(
        email=data.email,
        password=data.password,
        user_agent=request.headers.get("user-agent"),
        refresh_ttl_seconds=settings.refresh_token_ttl_seconds,
        session_max_age_seconds=settings.session_max_age_seconds,
        mfa_challenge_ttl_seconds=settings.mfa_challenge_ttl_seconds,
    )
    return await log_in(command, database=database, passwords=passwords, tokens=tokens, password_checks=password_checks)

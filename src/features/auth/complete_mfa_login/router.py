from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.problems import problem_responses
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.second_factor import SecondFactor
from src.core.security.tokens import TokenPair, TokenService
from src.core.settings import Settings
from src.features.auth.complete_mfa_login.command import CompleteMfa
from src.features.auth.complete_mfa_login.handler import complete_mfa_login
from src.features.auth.complete_mfa_login.schema import CompleteMfaRequest

__all__ = ("complete_mfa_login_route",)


@post(
    "/login/mfa",
    operation_id="completeMfaLogin",
    summary="Log in, second step: a code from your authenticator app (or a backup code)",
    description="After `POST /login` answered 403 `mfa_required`: its `mfa_token` and a code open the session and "
    "return the token pair, as `/login` does. Each code is accepted once (a TOTP code not again within its window, "
    "a backup code never again). A wrong code is 401 `invalid_mfa_code` and counts against the account's budget of "
    "failed checks (429 `too_many_failed_logins` past it); an unknown, expired or spent challenge, or one out of "
    "attempts, is 401 `invalid_mfa_token`. Rate limited by the strict `auth` policy.",
    status_code=200,
    opt={"rate_limit": "auth"},
    responses=problem_responses(400, 401, 413, 415),
)
async def complete_mfa_login_route(
    request: Request[Any, Any, Any],
    data: JSONBody[CompleteMfaRequest],
    database: NamedDependency[Database],
    tokens: NamedDependency[TokenService],
    password_checks: NamedDependency[PasswordChecks],
    second_factor: NamedDependency[SecondFactor],
    settings: NamedDependency[Settings],
) -> TokenPair:
    command = CompleteMfa(
        mfa_token=data.mfa_token,
        code=data.code,
        user_agent=request.headers.get("user-agent"),
        refresh_ttl_seconds=settings.refresh_token_ttl_seconds,
        session_max_age_seconds=settings.session_max_age_seconds,
        max_attempts=settings.mfa_challenge_max_attempts,
    )
    return await complete_mfa_login(
        command, database=database, tokens=tokens, password_checks=password_checks, second_factor=second_factor
    )

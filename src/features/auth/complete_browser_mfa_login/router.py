from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.browser_session import browser_session, csrf_key, documented_cookies
from src.core.http.problems import problem_responses
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.second_factor import SecondFactor
from src.core.security.tokens import TokenService
from src.core.settings import Settings
from src.features.auth.browser_mode import REFRESH_COOKIE_PATH, BrowserSession, browser_session_answer
from src.features.auth.complete_browser_mfa_login.command import CompleteMfa
from src.features.auth.complete_browser_mfa_login.handler import complete_browser_mfa_login
from src.features.auth.complete_browser_mfa_login.schema import BrowserMfaRequest

__all__ = ("complete_browser_mfa_login_route",)


@post(
    "/browser/login/mfa",
    operation_id="completeBrowserMfaLogin",
    summary="Log in from a browser, second step: a code from your authenticator app (or a backup code)",
    description="After `POST /browser/login` answered 403 `mfa_required`: its `mfa_token` and a code open the "
    "session as `/login/mfa` does (same rules, same per-account budget), answered as `/browser/login` answers: the "
    "refresh token in its `HttpOnly` cookie, the access token and `csrf_token` in the body. The request's `Origin` "
    "must be one of CORS_ALLOW_ORIGINS (403 `csrf_origin_refused`).",
    status_code=200,
    opt=browser_session("login", rate_limit="auth"),
    response_cookies=documented_cookies(refresh_path=REFRESH_COOKIE_PATH),
    responses=problem_responses(400, 401, 403, 413, 415),
)
async def complete_browser_mfa_login_route(
    request: Request[Any, Any, Any],
    data: JSONBody[BrowserMfaRequest],
    database: NamedDependency[Database],
    tokens: NamedDependency[TokenService],
    password_checks: NamedDependency[PasswordChecks],
    second_factor: NamedDependency[SecondFactor],
    settings: NamedDependency[Settings],
) -> Response[BrowserSession]:
    command = CompleteMfa(
        mfa_token=data.mfa_token,
        code=data.code,
        user_agent=request.headers.get("user-agent"),
        refresh_ttl_seconds=settings.refresh_token_ttl_seconds,
        session_max_age_seconds=settings.session_max_age_seconds,
        max_attempts=settings.mfa_challenge_max_attempts,
    )
    pair = await complete_browser_mfa_login(
        command, database=database, tokens=tokens, password_checks=password_checks, second_factor=second_factor
    )
    return browser_session_answer(pair, settings=settings, csrf_key=csrf_key(request))

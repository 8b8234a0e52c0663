from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from src.core.data.database import Database
from src.core.http.browser_session import browser_session, csrf_key, documented_cookies
from src.core.http.problems import problem_responses, sign_in_refused_response
from src.core.runtime.password_checks import PasswordChecks
from src.core.security.passwords import PasswordHasher
from src.core.security.tokens import TokenService
from src.core.settings import Settings
from src.features.auth.browser_mode import REFRESH_COOKIE_PATH, BrowserSession, browser_session_answer
from src.features.auth.log_in_browser.command import LogIn
from src.features.auth.log_in_browser.handler import log_in_browser
from src.features.auth.log_in_browser.schema import BrowserLogInRequest

__all__ = ("log_in_browser_route",)


@post(
    "/browser/login",
    operation_id="logInBrowser",
    summary="Log in from a browser: the refresh token in an HttpOnly cookie",
    description="The same login as `/login` (same rules, same per-account budget), for a page in a browser: the "
    "refresh token is set in an `HttpOnly; Secure; SameSite=Strict` cookie sent only to `/auth/browser/*`, never "
    "in the body; the body has the access token and the `csrf_token` for the next refresh or logout. The request's "
    "`Origin` must be one of CORS_ALLOW_ORIGINS (403 `csrf_origin_refused`: no login CSRF). An account with "
    "two-factor sign-in gets 403 `mfa_required` with an `mfa_token`, completed at `/auth/browser/login/mfa`. Call "
    "it with `credentials: 'include'`.",
    status_code=200,
    opt=browser_session("login", rate_limit="auth"),
    response_cookies=documented_cookies(refresh_path=REFRESH_COOKIE_PATH),
    responses=dict(sorted({**problem_responses(400, 401, 413, 415), 403: sign_in_refused_response()}.items())),
)
async def log_in_browser_route(
    request: Request[Any, Any, Any],
    data: JSONBody[BrowserLogInRequest],
    database: NamedDependency[Database],
    passwords: NamedDependency[PasswordHasher],
    tokens: NamedDependency[TokenService],
    password_checks: NamedDependency[PasswordChecks],
    settings: NamedDependency[Settings],
) -> Response[BrowserSession]:
    command = LogIn(
        email=data.email,
        password=data.password,
        user_agent=request.headers.get("user-agent"),
        refresh_ttl_seconds=settings.refresh_token_ttl_seconds,
        session_max_age_seconds=settings.session_max_age_seconds,
        mfa_challenge_ttl_seconds=settings.mfa_challenge_ttl_seconds,
    )
    pair = await log_in_browser(
        command, database=database, passwords=passwords, tokens=tokens, password_checks=password_checks
    )
    return browser_session_answer(pair, settings=settings, csrf_key=csrf_key(request))

from __future__ import annotations

from typing import Any

from litestar import Request, Response, post
from litestar.di import NamedDependency

from src.core.data.database import Database
from src.core.http.browser_session import CsrfHeader, browser_session, csrf_key, documented_cookies
from src.core.http.problems import problem_responses
from src.core.security.tokens import InvalidToken, TokenService
from src.core.settings import Settings
from src.features.auth.browser_mode import (
    BROWSER_SESSION_SECURITY,
    REFRESH_COOKIE_PATH,
    BrowserSession,
    browser_cookies,
    browser_session_answer,
)
from src.features.auth.refresh_browser_session.command import RefreshSession
from src.features.auth.refresh_browser_session.handler import refresh_browser_session

__all__ = ("refresh_browser_session_route",)


@post(
    "/browser/refresh",
    operation_id="refreshBrowserSession",
    summary="Refresh a browser session through its cookie",
    description="Spends the refresh token of the cookie, as `/refresh` spends one from a body (the same rotation, "
    "grace window and reuse detection), and sets the new one in the cookie. Needs the request's `Origin` allowed "
    "(403 `csrf_origin_refused`) and `X-CSRF-Token` equal to the last `csrf_token` (403 `csrf_token_invalid`). "
    "No cookie, or a refused token: 401 `invalid_token`, and both cookies are cleared; 409 "
    "`refresh_token_rotated` keeps them (another tab has the newer token).",
    status_code=200,
    opt=browser_session("cookie"),
    security=BROWSER_SESSION_SECURITY,
    response_cookies=documented_cookies(refresh_path=REFRESH_COOKIE_PATH),
    responses=problem_responses(400, 401, 403, 409),
)
async def refresh_browser_session_route(
    request: Request[Any, Any, Any],
    database: NamedDependency[Database],
    tokens: NamedDependency[TokenService],
    settings: NamedDependency[Settings],
    csrf_header: CsrfHeader = None,  # for the document: BrowserCsrf checked it before the route ran
) -> Response[BrowserSession]:
    cookies = browser_cookies(settings)
    refresh_token = cookies.refresh_token(request)
    if refresh_token is None:
        cookies.clear_with_the_answer(request)
        raise InvalidToken("This browser has no session: log in at /api/v1/auth/browser/login.")
    command = RefreshSession(
        refresh_token=refresh_token,
        refresh_ttl_seconds=settings.refresh_token_ttl_seconds,
        reuse_grace_seconds=settings.refresh_reuse_grace_seconds,
    )
    try:
        pair = await refresh_browser_session(command, database=database, tokens=tokens)
    except InvalidToken:
        cookies.clear_with_the_answer(request)  # the session is over: the browser forgets it
        raise
    return browser_session_answer(pair, settings=settings, csrf_key=csrf_key(request))

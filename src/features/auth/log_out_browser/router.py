from __future__ import annotations

from typing import Any

from litestar import Request, post
from litestar.di import NamedDependency

from src.core.data.database import Connection
from src.core.http.browser_session import CsrfHeader, browser_session, documented_cookies
from src.core.http.problems import problem_responses
from src.core.settings import Settings
from src.features.auth.browser_mode import OPTIONAL_BROWSER_SESSION_SECURITY, REFRESH_COOKIE_PATH, browser_cookies
from src.features.auth.log_out_browser.command import LogOutBrowser
from src.features.auth.log_out_browser.handler import log_out_browser

__all__ = ("log_out_browser_route",)


@post(
    "/browser/logout",
    operation_id="logOutBrowser",
    summary="End a browser session and clear its cookies",
    description="Revokes the session of the cookie's refresh token (every token of its family) and clears both "
    "cookies. Needs the request's `Origin` allowed (403 `csrf_origin_refused`) and, with a session cookie, "
    "`X-CSRF-Token` (403 `csrf_token_invalid`). 204 whether or not the session was known, or there was one.",
    status_code=204,
    opt=browser_session("cookie"),
    security=OPTIONAL_BROWSER_SESSION_SECURITY,
    response_cookies=documented_cookies(refresh_path=REFRESH_COOKIE_PATH, clears=True),
    responses=problem_responses(400, 403),
)
async def log_out_browser_route(
    request: Request[Any, Any, Any],
    transaction: NamedDependency[Connection],
    settings: NamedDependency[Settings],
    csrf_header: CsrfHeader = None,  # for the document: BrowserCsrf checked it before the route ran
) -> None:
    cookies = browser_cookies(settings)
    refresh_token = cookies.refresh_token(request)
    if refresh_token is not None:
        await log_out_browser(LogOutBrowser(refresh_token), transaction=transaction)
    # Once the session is ended (a failure before keeps the cookie, to log out again).
    cookies.clear_with_the_answer(request)

"""What the three browser-session routes (`/auth/browser/login`, `/refresh`, `/logout`)
share: where their cookie is sent, and the answer that sets it.

The rules are the JSON routes' (the password grant, the refresh grant, logout); only the
transport differs: the refresh token travels in the `HttpOnly` cookie, never in a body,
and the CSRF token bound to it (src/core/http/browser_session.py) in the body and a
cookie. The routers alone use this module; it is their way of speaking HTTP.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

import msgspec
from litestar import Response
from msgspec import Meta

from src.core.http.browser_session import BROWSER_SESSION_SCHEME, BrowserCookies, csrf_token
from src.core.security.tokens import TokenPair
from src.core.settings import Settings

__all__ = (
    "BROWSER_SESSION_SECURITY",
    "OPTIONAL_BROWSER_SESSION_SECURITY",
    "REFRESH_COOKIE_PATH",
    "BrowserSession",
    "browser_cookies",
    "browser_session_answer",
)

# The refresh cookie is sent to the browser routes only: no other request carries it.
REFRESH_COOKIE_PATH: Final = "/api/v1/auth/browser"
BROWSER_SESSION_SECURITY: Final[list[dict[str, list[str]]]] = [{BROWSER_SESSION_SCHEME: []}]
# Logout works without a session too (nothing to end).
OPTIONAL_BROWSER_SESSION_SECURITY: Final[list[dict[str, list[str]]]] = [{}, {BROWSER_SESSION_SCHEME: []}]


class BrowserSession(msgspec.Struct, frozen=True, kw_only=True):
    """A browser login or refresh: the access token for `Authorization: Bearer`, and the
    CSRF token for the next refresh or logout. The refresh token is in its cookie only."""

    access_token: Annotated[str, Meta(description="ES256 JWT for `Authorization: Bearer`; keep it in memory")]
    token_type: Annotated[Literal["Bearer"], Meta(description="Always Bearer")] = "Bearer"  # noqa: S105
    expires_in: Annotated[int, Meta(description="Seconds until the access token expires", examples=[900])]
    refresh_expires_in: Annotated[int, Meta(description="Seconds until the refresh cookie expires")]
    csrf_token: Annotated[
        str,
        Meta(
            description="Send it as `X-CSRF-Token` with the next /auth/browser/refresh or /logout; it changes with "
            "every refresh (also in the CSRF cookie)"
        ),
    ]


def browser_cookies(settings: Settings) -> BrowserCookies:
    return BrowserCookies(settings, refresh_path=REFRESH_COOKIE_PATH)


def browser_session_answer(pair: TokenPair, *, settings: Settings, csrf_key: bytes) -> Response[BrowserSession]:
    """The pair's refresh token goes into its cookie; the body has everything else."""
    csrf = csrf_token(csrf_key, pair.refresh_token)
    body = BrowserSession(
        access_token=pair.access_token,
        expires_in=pair.expires_in,
        refresh_expires_in=pair.refresh_expires_in,
        csrf_token=csrf,
    )
    cookies = browser_cookies(settings).issued(
        refresh_token=pair.refresh_token, csrf_token=csrf, max_age=pair.refresh_expires_in
    )
    return Response(body, status_code=200, cookies=cookies)

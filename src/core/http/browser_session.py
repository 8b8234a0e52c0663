"""Browser sessions: the refresh token in a cookie no script can read, and the checks that
keep the requests such a cookie authenticates from being forged by another site.

A browser client that opts in (the auth feature's `/auth/browser/*` routes) never sees its
refresh token: it lives in an `HttpOnly` cookie, so an injected script cannot steal it
(it can still act while the page is open, as any script can; it cannot carry the session
away). The cookies, with `SESSION_COOKIE_SECURE=true` (the default, required in production):

- `__Secure-avatar-refresh`: the refresh token; `HttpOnly; Secure; SameSite=Strict`, its
  `Path` the browser routes only (the feature names it), `Max-Age` the token's life.
- `__Host-avatar-csrf`: the CSRF token (below); `Secure; SameSite=Strict; Path=/`,
  readable by scripts of the API's host. The body of every browser answer carries it too:
  a page on another host of the site cannot read the API host's cookies.

With `SESSION_COOKIE_SECURE=false` (plain-http development on a host other than
localhost) the names lose their prefixes (`avatar-refresh`, `avatar-csrf`): browsers
refuse a `__Secure-` or `__Host-` cookie that is not `Secure`.

A cookie is sent by the browser whoever made the page that sends the request, so each
route that reads one (or sets one: login CSRF) declares `opt=browser_session(...)`, and
`BrowserCsrf`, a `core.http.checks` step after authentication and before the query and
the body are looked at, refuses with 403:

- `csrf_origin_refused`: the request's `Origin` is absent, `null`, or neither one of
  `CORS_ALLOW_ORIGINS` (a bare `*` does not count) nor the origin of the service's base
  URL (`PUBLIC_BASE_URL`). Every browser sends `Origin` on a POST, cross-site form posts
  included. For `"login"` and `"cookie"` routes alike.
- `csrf_token_invalid` (`"cookie"` routes, when the refresh cookie is present): the
  `X-CSRF-Token` header must equal the CSRF cookie and the CSRF token of the refresh
  cookie, `base64url(HMAC-SHA256(key, SHA-256(refresh token)))`, the key derived from the
  signing key: a signed double submit, bound to the refresh token, so it rotates with it
  and a token planted in the cookie by a sibling subdomain matches nothing. Only a page
  that can read the token (an allowed origin, through CORS) can send it.

Without a refresh cookie a `"cookie"` route decides (refresh: 401; logout: nothing to
end). Nothing here holds a connection: a refusal costs nothing to clean up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from typing import Annotated, Any, Final, Literal

from litestar import Request
from litestar.datastructures import Cookie
from litestar.handlers import HTTPRouteHandler
from litestar.params import HeaderParameter

from src.core.errors import Forbidden
from src.core.http.checks import Step
from src.core.http.dependencies import require_resources
from src.core.http.edge import set_response_headers
from src.core.security.tokens import hash_refresh_token
from src.core.settings import Settings

__all__ = (
    "BROWSER_SESSION_SCHEME",
    "CSRF_COOKIE",
    "CSRF_HEADER",
    "REFRESH_COOKIE",
    "BrowserCookies",
    "BrowserCsrf",
    "CsrfHeader",
    "browser_session",
    "csrf_key",
    "csrf_token",
    "documented_cookies",
)

type Mode = Literal["login", "cookie"]

CSRF_HEADER: Final = "X-CSRF-Token"
# Their names with SESSION_COOKIE_SECURE=true; without it, the same without the prefix.
REFRESH_COOKIE: Final = "__Secure-avatar-refresh"
CSRF_COOKIE: Final = "__Host-avatar-csrf"
# The OpenAPI security scheme of the refresh cookie (src/app.py declares it).
BROWSER_SESSION_SCHEME: Final = "BrowserSessionCookie"
_OPT_KEY: Final = "browser_session"
_CSRF_TOKEN_LENGTH: Final = 43  # 32 bytes, base64url without padding

# Declared by the routes that read the cookie, for their OpenAPI document and clients
# generated from it; `BrowserCsrf` has checked it before the route runs.
CsrfHeader = Annotated[
    str | None,
    HeaderParameter(
        name=CSRF_HEADER,
        min_length=_CSRF_TOKEN_LENGTH,
        max_length=_CSRF_TOKEN_LENGTH,
        description="The `csrf_token` of the last browser login or refresh (also in the CSRF cookie); required "
        "whenever the refresh cookie is sent (403 `csrf_token_invalid`).",
    ),
]
_KEY_PURPOSE: Final = "csrf-token"
_HEADER_SOURCE: Final = "browser_session"
_ORIGIN_REFUSED: Final = (
    "This request's Origin is not allowed to use a browser session: send it from an origin in CORS_ALLOW_ORIGINS."
)


def browser_session(mode: Mode, **opt: Any) -> dict[str, Any]:
    """For a route's `opt`: `"login"` sets the cookies (Origin checked), `"cookie"` reads
    them (Origin and the CSRF token checked)."""
    return {_OPT_KEY: mode, **opt}


def csrf_token(key: bytes, refresh_token: str) -> str:
    """The CSRF token of a refresh token: what `X-CSRF-Token` must carry with its cookie."""
    digest = hmac.new(key, hash_refresh_token(refresh_token), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def csrf_key(request: Request[Any, Any, Any]) -> bytes:
    """The key of the CSRF tokens, derived from the signing key (one secret to manage)."""
    return require_resources(request.app.state).keys.derive(_KEY_PURPOSE)


class BrowserCookies:
    """The two cookies of a browser session, as `SESSION_COOKIE_SECURE` names and flags them."""

    __slots__ = ("csrf_name", "refresh_name", "refresh_path", "secure")

    def __init__(self, settings: Settings, *, refresh_path: str) -> None:
        self.secure = settings.session_cookie_secure
        self.refresh_name = REFRESH_COOKIE if self.secure else REFRESH_COOKIE.removeprefix("__Secure-")
        self.csrf_name = CSRF_COOKIE if self.secure else CSRF_COOKIE.removeprefix("__Host-")
        self.refresh_path = refresh_path

    def refresh_token(self, request: Request[Any, Any, Any]) -> str | None:
        return request.cookies.get(self.refresh_name) or None

    def issued(self, *, refresh_token: str, csrf_token: str, max_age: int) -> list[Cookie]:
        return [
            Cookie(
                key=self.refresh_name,
                value=refresh_token,
                path=self.refresh_path,
                max_age=max_age,
                secure=self.secure,
                httponly=True,
                samesite="strict",
            ),
            Cookie(
                key=self.csrf_name,
                value=csrf_token,
                path="/",
                max_age=max_age,
                secure=self.secure,
                httponly=False,
                samesite="strict",
            ),
        ]

    def cleared(self) -> list[Cookie]:
        """Both cookies, expired at once (`Max-Age=0`): the browser forgets them."""
        return self.issued(refresh_token="", csrf_token="", max_age=0)

    def clear_with_the_answer(self, request: Request[Any, Any, Any]) -> None:
        """Whatever answers this request (an error raised after this call too) clears them."""
        set_response_headers(request.scope, _HEADER_SOURCE, [cookie.to_encoded_header() for cookie in self.cleared()])


def documented_cookies(*, refresh_path: str, clears: bool = False) -> list[Cookie]:
    """The `Set-Cookie` of a browser route's success, for its OpenAPI document only."""
    what = "expired (`Max-Age=0`)" if clears else "set"
    return [
        Cookie(
            key=REFRESH_COOKIE,
            path=refresh_path,
            secure=True,
            httponly=True,
            samesite="strict",
            description=f"The refresh token, {what}; HttpOnly: scripts never see it.",
            documentation_only=True,
        ),
        Cookie(
            key=CSRF_COOKIE,
            path="/",
            secure=True,
            samesite="strict",
            description=f"The CSRF token, {what}; send it back as `X-CSRF-Token`.",
            documentation_only=True,
        ),
    ]


def _wildcard_pattern(entry: str) -> re.Pattern[str]:
    """An allow-list entry as CORS reads it: `*` stands for host characters."""
    return re.compile("[A-Za-z0-9.-]+".join(re.escape(part) for part in entry.split("*")))


class _AllowedOrigins:
    __slots__ = ("_exact", "_patterns")

    def __init__(self, settings: Settings) -> None:
        entries = [entry for entry in settings.cors_allow_origins if entry != "*"]
        self._exact = frozenset(
            [*(entry for entry in entries if "*" not in entry), *([settings.base_url] if settings.base_url else [])]
        )
        self._patterns = tuple(_wildcard_pattern(entry) for entry in entries if "*" in entry)

    def __contains__(self, origin: str) -> bool:
        return origin in self._exact or any(pattern.fullmatch(origin) for pattern in self._patterns)


class BrowserCsrf:
    """The cross-site request forgery check of `core.http.checks` (see the module docstring)."""

    __slots__ = ("_cookies", "_origins")

    def __init__(self, settings: Settings) -> None:
        self._origins = _AllowedOrigins(settings)
        # Only the names matter here (the path is for setting cookies).
        self._cookies = BrowserCookies(settings, refresh_path="/")

    def step_for(self, handler: HTTPRouteHandler) -> Step | None:
        mode: Mode | None = handler.opt.get(_OPT_KEY)
        if mode is None:
            return None
        return self._check_origin if mode == "login" else self._check_cookie_request

    async def _check_origin(self, request: Request[Any, Any, Any]) -> None:
        origin = request.headers.get("origin")
        if origin is None or origin not in self._origins:
            raise Forbidden(_ORIGIN_REFUSED, code="csrf_origin_refused")

    async def _check_cookie_request(self, request: Request[Any, Any, Any]) -> None:
        await self._check_origin(request)
        refresh_token = self._cookies.refresh_token(request)
        if refresh_token is None:
            return
        sent = (request.headers.get(CSRF_HEADER) or "").encode()
        cookie = request.cookies.get(self._cookies.csrf_name, "").encode()
        expected = csrf_token(csrf_key(request), refresh_token).encode()
        # Both compared, in constant time, whichever fails.
        matches_cookie = hmac.compare_digest(sent, cookie)
        matches_session = hmac.compare_digest(sent, expected)
        if not (sent and matches_cookie and matches_session):
            raise Forbidden(
                f"This request needs the `{CSRF_HEADER}` header: the csrf_token of the last login or refresh "
                "(also in the CSRF cookie).",
                code="csrf_token_invalid",
            )

"""Who is calling: the bearer token turned into a typed principal, for routes to declare.

Routes never parse tokens. They declare what they need:

    user: NamedDependency[Principal]            # required; session and account still active
    viewer: NamedDependency[Principal | None]   # optional (public reads that personalise)

`user` verifies the token *and* checks in the request's transaction that its session is
not revoked or expired and the account not deleted, so a password change, a logout
everywhere or a deleted account stops writes at once, even while the access token has
time left. `viewer` only verifies the token: reads are public anyway.

A bad token is always a 401 (`WWW-Authenticate: Bearer error="invalid_token"`), never a
silent downgrade to anonymous. The verification result is memoised per request, so the
rate limiter (which keys authenticated callers by user) and the route share one check.
"""

from __future__ import annotations

from typing import Any, Final

from litestar import Request
from litestar.di import NamedDependency, Provide

from src.core.database import Connection
from src.core.errors import Unauthorized
from src.core.lifespan import resources_from
from src.core.rate_limit import identify_by_address
from src.core.tokens import AccessClaims, InvalidToken

__all__ = ("AUTH_DEPENDENCIES", "BEARER_SECURITY", "Principal", "authenticate", "identify_caller")

Principal = AccessClaims

# For route decorators: `security=BEARER_SECURITY` marks an operation as needing a token.
BEARER_SECURITY: Final[list[dict[str, list[str]]]] = [{"BearerAuth": []}]
_STATE_KEY: Final = "principal"
_SCHEME: Final = "bearer "

# The kernel's one piece of account SQL: is this session still allowed to act?
SESSION_IS_ACTIVE: Final = """
SELECT 1
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.deleted_at IS NULL
"""


class _Anonymous:
    __slots__ = ()


_ANONYMOUS: Final = _Anonymous()


def _bearer_token(request: Request[Any, Any, Any]) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    if header[: len(_SCHEME)].lower() != _SCHEME or not header[len(_SCHEME) :].strip():
        raise InvalidToken("Send the access token as `Authorization: Bearer <token>`.")
    return header[len(_SCHEME) :].strip()


def authenticate(request: Request[Any, Any, Any]) -> Principal | None:
    """The caller's verified claims, None when no token was sent; raises InvalidToken."""
    state = request.scope["state"]
    cached = state.get(_STATE_KEY)
    if isinstance(cached, InvalidToken):
        raise cached
    if cached is not None:
        return None if cached is _ANONYMOUS else cached
    resources = resources_from(request.app.state)
    try:
        token = _bearer_token(request)
        principal = None if token is None or resources is None else resources.tokens.verify(token)
    except InvalidToken as exc:
        state[_STATE_KEY] = exc
        raise
    state[_STATE_KEY] = principal if principal is not None else _ANONYMOUS
    return principal


def identify_caller(request: Request[Any, Any, Any]) -> str:
    """Rate-limit key: the user for a valid bearer token, else the client address."""
    try:
        principal = authenticate(request)
    except InvalidToken:
        principal = None
    return f"user:{principal.user_id}" if principal is not None else identify_by_address(request)


def provide_viewer(request: Request[Any, Any, Any]) -> Principal | None:
    return authenticate(request)


async def provide_user(request: Request[Any, Any, Any], transaction: NamedDependency[Connection]) -> Principal:
    principal = authenticate(request)
    if principal is None:
        raise Unauthorized("This endpoint needs `Authorization: Bearer <access token>`.")
    if await transaction.fetchval(SESSION_IS_ACTIVE, principal.session_id, principal.user_id) is None:
        raise InvalidToken("The session has ended (signed out, password changed or account deleted).")
    return principal


AUTH_DEPENDENCIES: Final = {
    "viewer": Provide(provide_viewer, sync_to_thread=False),
    "user": Provide(provide_user),
}

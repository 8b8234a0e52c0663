"""Who is calling: the bearer token turned into a typed principal, for routes to declare.

Routes never parse tokens. They declare what they need:

    user: NamedDependency[Principal]            # required; session and account still active
    viewer: NamedDependency[Principal | None]   # optional (public reads that personalise)
    actor: NamedDependency[Actor]               # with opt=requires_role("moderator"): staff

A route with `opt=requires_role(role)` is for that role and those above it (`user` <
`moderator` < `admin`). Its caller's role is read from the database on every request, with
the session check, so a demotion or a suspension takes effect at once on every instance,
whatever the token says (tokens carry no role). A caller below the role gets 403
`insufficient_role`; the route receives an `Actor` (who, and the role they act with).

`user` verifies the token *and* checks that its session is not revoked or expired and
the account not deleted, so a logout, a password change or a deleted account stops
writes at once, even while the access token has time left. `viewer` only verifies the
token: reads are public anyway. A bad token is a 401 (`WWW-Authenticate: Bearer
error="invalid_token"`), never a silent downgrade to anonymous.

Where each check runs, and why:
- Token checks run in `AuthGate`, a `core.http.checks` step, before any dependency is
  resolved. Litestar resolves dependencies before it registers their clean-up, so a
  dependency that raised after a generator dependency (a pooled connection) had started
  would leak that connection. Here nothing has been acquired yet when a 401 is raised.
- The session check needs the database. It runs inside the `connection`/`transaction`
  generator, on the request's own connection, before it is handed out (an error raised
  there releases the connection normally). Routes with no connection get a short one.
- Verification is memoised per request, so the rate limiter (which keys authenticated
  callers by user) and the route share one signature check.
"""

from __future__ import annotations

from typing import Any, Final
from uuid import UUID

import msgspec
from litestar import Request
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler

from src.core.data.database import Connection
from src.core.errors import Forbidden, Unauthorized
from src.core.http.checks import Step
from src.core.runtime.lifespan import resources_from
from src.core.security.roles import Role, at_least
from src.core.security.tokens import AccessClaims, InvalidToken

__all__ = (
    "AUTH_DEPENDENCIES",
    "BEARER_SECURITY",
    "OPTIONAL_BEARER_SECURITY",
    "Actor",
    "AuthGate",
    "Principal",
    "authenticate",
    "rate_limit_user",
    "required_role",
    "requires_role",
    "verify_pending_session",
)

Principal = AccessClaims

# For route decorators: `security=BEARER_SECURITY` marks an operation as needing a token;
# OPTIONAL_BEARER_SECURITY as working without one and personalising with one. Either
# scheme (src/app.py) stands for the same bearer token: `BearerAuth` one you paste,
# `OAuth2` one the password grant at /auth/token issues (Swagger UI's Authorize dialog).
BEARER_SECURITY: Final[list[dict[str, list[str]]]] = [{"BearerAuth": []}, {"OAuth2": []}]
OPTIONAL_BEARER_SECURITY: Final[list[dict[str, list[str]]]] = [{}, {"BearerAuth": []}, {"OAuth2": []}]
_PRINCIPAL_KEY: Final = "principal"
_PENDING_SESSION_CHECK_KEY: Final = "pending_session_check"
_ACTOR_KEY: Final = "actor"
_ROLE_OPT: Final = "required_role"
_SCHEME: Final = "bearer "

# The kernel's one piece of account SQL: is this session still allowed to act, and with
# which role? (A suspended account's sessions are also ended when it is suspended.)
SESSION_ROLE: Final = """
SELECT u.role
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
  AND u.deleted_at IS NULL AND u.suspended_at IS NULL
"""


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """The caller of a route that requires a role: who, and the role they hold now."""

    user_id: UUID
    session_id: UUID
    role: Role


def requires_role(role: Role) -> dict[str, Any]:
    """For a route's `opt`: only callers with this role or one above it."""
    return {_ROLE_OPT: role}


def required_role(handler: HTTPRouteHandler) -> Role | None:
    """The role a route requires (`requires_role`); None: any signed-in user, or anyone."""
    role: Role | None = handler.opt.get(_ROLE_OPT)
    return role


class _Anonymous:
    __slots__ = ()


_ANONYMOUS: Final = _Anonymous()


def _bearer_token(request: Request[Any, Any, Any]) -> str | None:
    # The raw headers, not `request.headers`: building Litestar's Headers costs more than the rest.
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            header = value.decode("latin-1")
            break
    else:
        return None
    if header[: len(_SCHEME)].lower() != _SCHEME or not header[len(_SCHEME) :].strip():
        raise InvalidToken("Send the access token as `Authorization: Bearer <token>`.")
    return header[len(_SCHEME) :].strip()


def authenticate(request: Request[Any, Any, Any]) -> Principal | None:
    """The caller's verified claims, None when no token was sent; raises InvalidToken."""
    state = request.scope["state"]
    cached = state.get(_PRINCIPAL_KEY)
    if isinstance(cached, InvalidToken):
        raise cached
    if cached is not None:
        return None if cached is _ANONYMOUS else cached
    resources = resources_from(request.app.state)
    try:
        token = _bearer_token(request)
        principal = None if token is None or resources is None else resources.tokens.verify(token)
    except InvalidToken as exc:
        state[_PRINCIPAL_KEY] = exc
        raise
    state[_PRINCIPAL_KEY] = principal if principal is not None else _ANONYMOUS
    return principal


def rate_limit_user(request: Request[Any, Any, Any]) -> str | None:
    """The rate-limit key of the caller with a valid bearer token; None for anyone else
    (they count by client address)."""
    try:
        principal = authenticate(request)
    except InvalidToken:
        return None
    return f"user:{principal.user_id}" if principal is not None else None


async def require_active_session(connection: Connection, principal: Principal) -> Role:
    """The caller's role now; raises InvalidToken when the session may no longer act."""
    role: Role | None = await connection.fetchval(SESSION_ROLE, principal.session_id, principal.user_id)
    if role is None:
        raise InvalidToken("The session has ended (signed out, password changed, account suspended or deleted).")
    return role


async def verify_pending_session(request: Request[Any, Any, Any], connection: Connection) -> None:
    """Called by the connection providers on the request's connection, before handing it out."""
    principal = request.scope["state"].pop(_PENDING_SESSION_CHECK_KEY, None)
    if principal is not None:
        await require_active_session(connection, principal)


async def _identify_viewer(request: Request[Any, Any, Any]) -> None:
    """Optional token: verified now (a bad one is a 401), remembered for `viewer`."""
    authenticate(request)


def _require_principal(request: Request[Any, Any, Any]) -> Principal:
    principal = authenticate(request)
    if principal is None:
        raise Unauthorized("This endpoint needs `Authorization: Bearer <access token>`.")
    return principal


async def _require_user_checked_on_its_connection(request: Request[Any, Any, Any]) -> None:
    """The session check waits for the route's own connection (see verify_pending_session)."""
    request.scope["state"][_PENDING_SESSION_CHECK_KEY] = _require_principal(request)


async def _require_user_checked_now(request: Request[Any, Any, Any]) -> None:
    """A route without a connection of its own: the session is checked on a short one."""
    principal = _require_principal(request)
    resources = resources_from(request.app.state)
    if resources is not None:
        async with resources.database.acquire() as connection:
            await require_active_session(connection, principal)


def _require_role(role: Role) -> Step:
    """A staff route: the session and the role checked on a short connection of their own
    (staff routes are few and light), the `Actor` kept for the route."""

    async def require(request: Request[Any, Any, Any]) -> None:
        principal = _require_principal(request)
        resources = resources_from(request.app.state)
        if resources is None:
            raise Unauthorized("This endpoint needs `Authorization: Bearer <access token>`.")
        async with resources.database.acquire() as connection:
            current = await require_active_session(connection, principal)
        if not at_least(current, role):
            raise Forbidden(f"This needs the {role} role, or one above it.", code="insufficient_role")
        actor = Actor(user_id=principal.user_id, session_id=principal.session_id, role=current)
        request.scope["state"][_ACTOR_KEY] = actor

    return require


class AuthGate:
    """The authentication check of `core.http.checks` (see the module docstring)."""

    __slots__ = ()

    def step_for(self, handler: HTTPRouteHandler) -> Step | None:
        declared = handler.parsed_fn_signature.parameters
        role = required_role(handler)
        if role is not None or "actor" in declared:
            if role is None or "actor" not in declared or "user" in declared or "viewer" in declared:
                raise TypeError(f"{handler}: a staff route has opt=requires_role(...) and takes `actor`, not `user`")
            return _require_role(role)
        if "user" in declared:
            if "connection" in declared or "transaction" in declared:
                return _require_user_checked_on_its_connection
            return _require_user_checked_now
        if "viewer" in declared:
            return _identify_viewer
        return None


def provide_user(request: Request[Any, Any, Any]) -> Principal:
    principal = request.scope["state"].get(_PRINCIPAL_KEY)
    if not isinstance(principal, AccessClaims):  # the gate guarantees it; this guards a wiring mistake
        raise Unauthorized("This endpoint needs `Authorization: Bearer <access token>`.")
    return principal


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    actor = request.scope["state"].get(_ACTOR_KEY)
    if not isinstance(actor, Actor):  # the gate guarantees it; this guards a wiring mistake
        raise Unauthorized("This endpoint needs `Authorization: Bearer <access token>`.")
    return actor


def provide_viewer(request: Request[Any, Any, Any]) -> Principal | None:
    principal = request.scope["state"].get(_PRINCIPAL_KEY)
    return principal if isinstance(principal, AccessClaims) else None


AUTH_DEPENDENCIES: Final = {
    "viewer": Provide(provide_viewer, sync_to_thread=False),
    "user": Provide(provide_user, sync_to_thread=False),
    "actor": Provide(provide_actor, sync_to_thread=False),
}

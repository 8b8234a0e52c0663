"""Who is calling: the bearer credential turned into a typed principal, for routes to declare.

Routes never parse credentials. They declare what they need:

    user: NamedDependency[Principal]            # required; session (or key) and account still active
    viewer: NamedDependency[Principal | None]   # optional (public reads that personalise)
    actor: NamedDependency[Actor]               # with opt=requires_role("moderator"): staff

A credential is an access token (a session's JWT) or an API key (`ava_...`, see
`core.security.api_keys`), both sent as `Authorization: Bearer`; the prefix tells them
apart. A route says which API-key scope it needs with `opt=needs_scope("avatars:write")`;
a route without one is for session tokens only (403 `api_key_not_allowed` for a key):
keys never manage keys, sessions, passwords, the second factor or the account's deletion. A key without the
route's scope gets 403 `insufficient_scope` with `WWW-Authenticate: Bearer
error="insufficient_scope", scope="..."` (RFC 6750 section 3.1).

`user` verifies the credential *and* checks, in the database, that its session (or key)
is not revoked or expired and the account not suspended or deleted, so a logout, a
revocation, a password change or a suspension stops writes at once, even while the
access token has time left. `viewer` only verifies a token (reads are public anyway); a
key on a viewer route is checked in the database once per second per worker
(`VerifiedKeys`). A bad credential is a 401 (`WWW-Authenticate: Bearer
error="invalid_token"`), never a silent downgrade to anonymous.

A route declared with `needs_scope(scope, verified_email=True)` (creating and pinging
webhooks) is also refused, 403 `email_not_verified`, to an account whose address is not
verified yet, while EMAIL_VERIFICATION_REQUIRED is on: the flag is read with the session
or key check, in the same statement, for session tokens and keys alike. This is the one
place that rule is enforced.

A route with `opt=requires_role(role)` is for that role and those above it (`user` <
`moderator` < `admin`). Its caller's role is read from the database on every request, with
the session or key check, so a demotion or a suspension takes effect at once on every
instance, whatever the credential says (neither carries a role). A caller below the role
gets 403 `insufficient_role`; the route receives an `Actor`. A key reaches a staff route
with the `admin` scope, and only while its owner holds the role.

Where each check runs, and why:
- Credential checks run in `AuthGate`, a `core.http.checks` step, before any dependency is
  resolved. Litestar resolves dependencies before it registers their clean-up, so a
  dependency that raised after a generator dependency (a pooled connection) had started
  would leak that connection. Here nothing has been acquired yet when a 401 is raised.
- The database check runs inside the `connection`/`transaction` generator, on the
  request's own connection, before it is handed out (an error raised there releases the
  connection normally). Routes with no connection get a short one; so do staff routes.
- Identification is memoised per request, so the rate limiter (which keys callers by user,
  or by API key) and the route share one signature check.
"""

from __future__ import annotations

import hmac
from typing import Any, Final
from uuid import UUID

import msgspec
from litestar import Request
from litestar.di import Provide
from litestar.handlers import HTTPRouteHandler

from src.core.clock import utc_now
from src.core.data.database import Connection
from src.core.errors import Forbidden, InsufficientScope, Unauthorized
from src.core.http.checks import Step
from src.core.runtime.lifespan import Resources, resources_from
from src.core.security.api_keys import (
    API_KEY_PREFIX,
    ApiKeyClaims,
    Scope,
    VerifiedKeys,
    hash_api_key,
    lookup_of,
    well_formed,
)
from src.core.security.roles import Role, at_least
from src.core.security.tokens import AccessClaims, InvalidToken

__all__ = (
    "AUTH_DEPENDENCIES",
    "BEARER_SECURITY",
    "OPTIONAL_BEARER_SECURITY",
    "Actor",
    "AuthGate",
    "Principal",
    "SessionPrincipal",
    "authenticate",
    "bearer_security",
    "needs_scope",
    "optional_bearer_security",
    "rate_limit_user",
    "required_role",
    "required_scope",
    "requires_role",
    "requires_verified_email",
    "verify_pending_session",
)

# A session's access token, or an API key.
type Principal = AccessClaims | ApiKeyClaims
# What the routes that only a session token reaches get (no `needs_scope`: keys are refused).
SessionPrincipal = AccessClaims


def bearer_security(scope: Scope | None = None) -> list[dict[str, list[str]]]:
    """For route decorators: the operation needs a credential. Either token scheme
    (src/app.py) stands for the same bearer token: `BearerAuth` one you paste, `OAuth2` one
    the password grant at /auth/token issues (Swagger UI's Authorize dialog); `ApiKeyAuth`
    when a key may call it (the scope it needs: `x-api-key-scope`, core.http.api_contract)."""
    schemes: list[dict[str, list[str]]] = [{"BearerAuth": []}, {"OAuth2": []}]
    return [*schemes, {"ApiKeyAuth": []}] if scope is not None else schemes


def optional_bearer_security(scope: Scope | None = None) -> list[dict[str, list[str]]]:
    """The operation works without a credential and personalises with one."""
    return [{}, *bearer_security(scope)]


BEARER_SECURITY: Final = bearer_security()
OPTIONAL_BEARER_SECURITY: Final = optional_bearer_security()

_PRINCIPAL_KEY: Final = "principal"
_PENDING_CHECK_KEY: Final = "pending_session_check"
_ACTOR_KEY: Final = "actor"
_KEY_KEY: Final = "api_key"
_ROLE_OPT: Final = "required_role"
_SCOPE_OPT: Final = "api_key_scope"
_VERIFIED_OPT: Final = "verified_email"
_SCHEME: Final = "bearer "

# The kernel's pieces of account SQL: may this session act, and with which role? (A
# suspended account's sessions are also ended when it is suspended.)
SESSION_ROLE: Final = """
SELECT u.role, u.email_verified_at IS NOT NULL AS verified
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
  AND u.deleted_at IS NULL AND u.suspended_at IS NULL
"""
# The key behind a lookup, if live, with its owner's role.
API_KEY_OWNER: Final = """
SELECT k.id, k.user_id, k.secret_hash, k.scopes, k.expires_at, u.role, u.email_verified_at IS NOT NULL AS verified
FROM api_keys k
JOIN users u ON u.id = k.user_id
WHERE k.lookup = $1 AND k.revoked_at IS NULL AND u.deleted_at IS NULL AND u.suspended_at IS NULL
"""
TOUCH_API_KEY: Final = """
UPDATE api_keys SET last_used_at = now()
WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')
"""


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """The caller of a route that requires a role: who, and the role they hold now."""

    user_id: UUID
    session_id: UUID | None
    """None when the caller is an API key (`key_id`)."""
    key_id: UUID | None
    role: Role

    @property
    def credential(self) -> str:
        """What they act with, for the audit log: `session:<id>` or `api_key:<id>`."""
        return f"api_key:{self.key_id}" if self.key_id is not None else f"session:{self.session_id}"


class _UnverifiedKey(msgspec.Struct, frozen=True):
    """A well-formed key this worker has not verified lately: the database decides."""

    key_hash: bytes
    lookup: str


type _Identity = AccessClaims | ApiKeyClaims | _UnverifiedKey


def requires_role(role: Role, *, scope: Scope = "admin") -> dict[str, Any]:
    """For a route's `opt`: only callers with this role or one above it (a key: with `scope`)."""
    return {_ROLE_OPT: role, _SCOPE_OPT: scope}


def needs_scope(scope: Scope, *, verified_email: bool = False, **opt: Any) -> dict[str, Any]:
    """For a route's `opt`: an API key may call it if it has this scope. `verified_email`:
    only accounts whose address is verified (403 `email_not_verified`), while
    EMAIL_VERIFICATION_REQUIRED."""
    return {_SCOPE_OPT: scope, _VERIFIED_OPT: verified_email, **opt}


def requires_verified_email(handler: HTTPRouteHandler) -> bool:
    """Whether a route is refused to accounts with an unverified address (`needs_scope`)."""
    return bool(handler.opt.get(_VERIFIED_OPT, False))


def required_role(handler: HTTPRouteHandler) -> Role | None:
    """The role a route requires (`requires_role`); None: any signed-in user, or anyone."""
    role: Role | None = handler.opt.get(_ROLE_OPT)
    return role


def required_scope(handler: HTTPRouteHandler) -> Scope | None:
    """The scope an API key needs for a route; None: keys may not call it."""
    scope: Scope | None = handler.opt.get(_SCOPE_OPT)
    return scope


class _Anonymous:
    __slots__ = ()


_ANONYMOUS: Final = _Anonymous()


def _bearer_credential(request: Request[Any, Any, Any]) -> str | None:
    # The raw headers, not `request.headers`: building Litestar's Headers costs more than the rest.
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            header = value.decode("latin-1")
            break
    else:
        return None
    if header[: len(_SCHEME)].lower() != _SCHEME or not header[len(_SCHEME) :].strip():
        raise InvalidToken("Send the access token or API key as `Authorization: Bearer <credential>`.")
    return header[len(_SCHEME) :].strip()


def _identify(request: Request[Any, Any, Any]) -> _Identity | None:
    """The caller as far as it is known without the database, memoised; raises InvalidToken."""
    state = request.scope["state"]
    cached = state.get(_PRINCIPAL_KEY)
    if isinstance(cached, InvalidToken):
        raise cached
    if cached is not None:
        return None if cached is _ANONYMOUS else cached
    resources = resources_from(request.app.state)
    try:
        credential = _bearer_credential(request)
        identity = None if credential is None or resources is None else _identity_of(credential, resources, state)
    except InvalidToken as exc:
        state[_PRINCIPAL_KEY] = exc
        raise
    state[_PRINCIPAL_KEY] = identity if identity is not None else _ANONYMOUS
    return identity


def _identity_of(credential: str, resources: Resources, state: dict[str, Any]) -> _Identity:
    if not credential.startswith(API_KEY_PREFIX):
        return resources.tokens.verify(credential)
    if not well_formed(credential):
        raise InvalidToken("The API key is malformed (its checksum does not match).")
    key = state[_KEY_KEY] = _UnverifiedKey(hash_api_key(credential), lookup_of(credential))
    remembered = resources.api_keys.remembered(key.key_hash)
    if remembered is None:
        return key
    _refuse_expired(remembered)
    return remembered


def _refuse_expired(claims: ApiKeyClaims) -> None:
    if claims.expires_at is not None and claims.expires_at <= utc_now():
        raise InvalidToken("The API key has expired.")


def authenticate(request: Request[Any, Any, Any]) -> Principal | None:
    """The caller's verified claims; None when no credential was sent, or a key still to be
    checked in the database; raises InvalidToken."""
    identity = _identify(request)
    return None if isinstance(identity, _UnverifiedKey) else identity


def rate_limit_user(request: Request[Any, Any, Any]) -> str | None:
    """The rate-limit key of a verified caller: its user, or its API key (each key counts
    alone); None for anyone else (they count by client address)."""
    try:
        principal = authenticate(request)
    except InvalidToken:
        return None
    if principal is None:
        return None
    return f"key:{principal.key_id}" if isinstance(principal, ApiKeyClaims) else f"user:{principal.user_id}"


async def _verify_key(connection: Connection, key: _UnverifiedKey, verified: VerifiedKeys) -> tuple[ApiKeyClaims, bool]:
    """The key's claims, and whether its owner's address is verified."""
    row = await connection.fetchrow(API_KEY_OWNER, key.lookup)
    if row is None or not hmac.compare_digest(bytes(row["secret_hash"]), key.key_hash):
        raise InvalidToken("The API key is not valid: revoked, its owner suspended, or never issued.")
    claims = ApiKeyClaims(
        user_id=row["user_id"],
        key_id=row["id"],
        scopes=frozenset(row["scopes"]),
        expires_at=row["expires_at"],
        role=row["role"],
    )
    _refuse_expired(claims)
    verified.remember(key.key_hash, claims)
    if verified.last_used_due(claims.key_id):
        await connection.execute(TOUCH_API_KEY, claims.key_id)
    return claims, bool(row["verified"])


def _check_scope(claims: ApiKeyClaims, scope: Scope) -> None:
    if scope not in claims.scopes:
        raise InsufficientScope(f"This API key lacks the `{scope}` scope this endpoint needs.", scope=scope)


async def _check_in_database(
    request: Request[Any, Any, Any],
    connection: Connection,
    identity: _Identity,
    scope: Scope | None,
    *,
    verified_email: bool = False,
) -> tuple[Principal, Role]:
    """The session or the key still live (a key always checked here again: writes and staff
    routes never rely on a remembered verification), the key's scope, and for
    `verified_email` routes the account's verified address; the principal, and its
    account's role now."""
    resources = resources_from(request.app.state)
    if isinstance(identity, AccessClaims):
        principal: Principal = identity
        role, verified = await _session_standing(connection, identity)
    else:
        key = request.scope["state"].get(_KEY_KEY)
        if resources is None or not isinstance(key, _UnverifiedKey):
            raise InvalidToken("The API key is not valid.")
        principal, verified = await _verify_key(connection, key, resources.api_keys)
        if scope is not None:
            _check_scope(principal, scope)
        request.scope["state"][_PRINCIPAL_KEY] = principal
        role = principal.role
    if verified_email and not verified and resources is not None and resources.settings.email_verification_required:
        raise Forbidden(
            "Verify your e-mail address first: open the link we mailed to it (POST /api/v1/auth/verify-email), "
            "or ask for a new one (POST /api/v1/auth/verify-email/resend). Until then the account may not "
            "create or ping webhooks.",
            code="email_not_verified",
        )
    return principal, role


async def _session_standing(connection: Connection, principal: AccessClaims) -> tuple[Role, bool]:
    """The caller's role now, and whether its address is verified; raises InvalidToken when
    the session may no longer act."""
    row = await connection.fetchrow(SESSION_ROLE, principal.session_id, principal.user_id)
    if row is None:
        raise InvalidToken("The session has ended (signed out, password changed, account suspended or deleted).")
    role: Role = row["role"]
    return role, bool(row["verified"])


async def verify_pending_session(request: Request[Any, Any, Any], connection: Connection) -> None:
    """Called by the connection providers on the request's connection, before handing it out."""
    pending = request.scope["state"].pop(_PENDING_CHECK_KEY, None)
    if pending is not None:
        identity, scope, verified_email = pending
        await _check_in_database(request, connection, identity, scope, verified_email=verified_email)


def _refuse_keys_without_scope(identity: _Identity | None, scope: Scope | None) -> None:
    if isinstance(identity, ApiKeyClaims | _UnverifiedKey) and scope is None:
        raise Forbidden(
            "API keys cannot call this endpoint (keys, sessions, passwords, two-factor sign-in and the account's "
            "deletion need a session's access token).",
            code="api_key_not_allowed",
        )


def _required(request: Request[Any, Any, Any]) -> _Identity:
    identity = _identify(request)
    if identity is None:
        raise Unauthorized("This endpoint needs `Authorization: Bearer <access token or API key>`.")
    return identity


async def _check_now(
    request: Request[Any, Any, Any], identity: _Identity, scope: Scope | None, *, verified_email: bool = False
) -> None:
    """The database check on a short connection of its own, before any dependency resolves."""
    resources = resources_from(request.app.state)
    if resources is not None:
        async with resources.database.acquire() as connection:
            await _check_in_database(request, connection, identity, scope, verified_email=verified_email)


def _user_step(scope: Scope | None, *, has_connection: bool, verified_email: bool) -> Step:
    async def require_user(request: Request[Any, Any, Any]) -> None:
        identity = _required(request)
        _refuse_keys_without_scope(identity, scope)
        if isinstance(identity, ApiKeyClaims) and scope is not None:
            _check_scope(identity, scope)
        # A key this worker has not verified lately is verified now: `user` resolves before
        # the connection does. Otherwise the check waits for the route's own connection.
        if has_connection and not isinstance(identity, _UnverifiedKey):
            request.scope["state"][_PENDING_CHECK_KEY] = (identity, scope, verified_email)
        else:
            await _check_now(request, identity, scope, verified_email=verified_email)

    return require_user


def _viewer_step(scope: Scope | None) -> Step:
    async def identify_viewer(request: Request[Any, Any, Any]) -> None:
        identity = _identify(request)  # verified now (a bad token is a 401), remembered for `viewer`
        _refuse_keys_without_scope(identity, scope)
        if isinstance(identity, ApiKeyClaims) and scope is not None:
            _check_scope(identity, scope)
        elif isinstance(identity, _UnverifiedKey):  # then remembered for a second (VerifiedKeys)
            await _check_now(request, identity, scope)

    return identify_viewer


def _staff_step(role: Role, scope: Scope) -> Step:
    """A staff route: the session or key, and the role, checked on a short connection of
    their own (staff routes are few and light), the `Actor` kept for the route."""

    async def require(request: Request[Any, Any, Any]) -> None:
        identity = _required(request)
        resources = resources_from(request.app.state)
        if resources is None:
            raise Unauthorized("This endpoint needs `Authorization: Bearer <access token or API key>`.")
        async with resources.database.acquire() as connection:
            principal, current = await _check_in_database(request, connection, identity, scope)
        if not at_least(current, role):
            raise Forbidden(f"This needs the {role} role, or one above it.", code="insufficient_role")
        request.scope["state"][_ACTOR_KEY] = Actor(
            user_id=principal.user_id,
            session_id=principal.session_id if isinstance(principal, AccessClaims) else None,
            key_id=principal.key_id if isinstance(principal, ApiKeyClaims) else None,
            role=current,
        )

    return require


class AuthGate:
    """The authentication check of `core.http.checks` (see the module docstring)."""

    __slots__ = ()

    def step_for(self, handler: HTTPRouteHandler) -> Step | None:
        declared = handler.parsed_fn_signature.parameters
        role = required_role(handler)
        scope = required_scope(handler)
        verified_email = requires_verified_email(handler)
        has_connection = "connection" in declared or "transaction" in declared
        if verified_email and "user" not in declared:
            raise TypeError(f"{handler}: needs_scope(..., verified_email=True) is for routes that take `user`")
        if role is not None or "actor" in declared:
            if role is None or scope is None or "actor" not in declared or "user" in declared or "viewer" in declared:
                raise TypeError(f"{handler}: a staff route has opt=requires_role(...) and takes `actor`, not `user`")
            return _staff_step(role, scope)
        if "user" in declared:
            return _user_step(scope, has_connection=has_connection, verified_email=verified_email)
        if "viewer" in declared:
            return _viewer_step(scope)
        return None


def provide_user(request: Request[Any, Any, Any]) -> Principal:
    principal = request.scope["state"].get(_PRINCIPAL_KEY)
    if not isinstance(principal, AccessClaims | ApiKeyClaims):  # the gate guarantees it; this guards wiring
        raise Unauthorized("This endpoint needs `Authorization: Bearer <access token or API key>`.")
    return principal


def provide_actor(request: Request[Any, Any, Any]) -> Actor:
    actor = request.scope["state"].get(_ACTOR_KEY)
    if not isinstance(actor, Actor):  # the gate guarantees it; this guards a wiring mistake
        raise Unauthorized("This endpoint needs `Authorization: Bearer <access token or API key>`.")
    return actor


def provide_viewer(request: Request[Any, Any, Any]) -> Principal | None:
    principal = request.scope["state"].get(_PRINCIPAL_KEY)
    return principal if isinstance(principal, AccessClaims | ApiKeyClaims) else None


AUTH_DEPENDENCIES: Final = {
    "viewer": Provide(provide_viewer, sync_to_thread=False),
    "user": Provide(provide_user, sync_to_thread=False),
    "actor": Provide(provide_actor, sync_to_thread=False),
}

"""Access tokens (signed JWTs) and refresh tokens (opaque random strings).

Access token: ES256 JWT, header `typ: at+jwt` (RFC 9068) and the signing key's `kid`;
claims `iss`, `aud`, `sub` (user id), `sid` (session id), `jti`, `iat`, `nbf`, `exp`.
Verification trusts nothing the token says about itself: the header may hold only `alg`,
`typ` and `kid`; `alg` must be exactly ES256 and `kid` one of our keys (no `jku`, `jwk`,
`x5u`, `crit`); every claim is required and checked. Anything else is `InvalidToken`.

Refresh token: 256 random bits, shown to the client once; only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import OrderedDict
from datetime import datetime, timedelta
from typing import Annotated, Any, Final, Literal
from uuid import UUID

import jwt
import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from msgspec import Meta

from src.core.clock import utc_now
from src.core.errors import Unauthorized
from src.core.ids import new_id
from src.core.security.keys import SigningKeys
from src.core.settings import Settings

__all__ = (
    "ACCESS_TOKEN_TYPE",
    "AccessClaims",
    "InvalidToken",
    "TokenPair",
    "TokenService",
    "hash_refresh_token",
    "new_refresh_token",
)

ALGORITHM: Final = "ES256"
ACCESS_TOKEN_TYPE: Final = "at+jwt"  # noqa: S105 - a media type (RFC 9068), not a secret
MAX_TOKEN_LENGTH: Final = 2048
_ALLOWED_HEADER: Final = frozenset({"alg", "typ", "kid"})
_REQUIRED_CLAIMS: Final = ["iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp"]
# Clock skew tolerated between this service's instances.
_LEEWAY: Final = timedelta(seconds=30)
_REMEMBERED_TOKENS: Final = 4096


class InvalidToken(Unauthorized):
    """A bearer token that must not be honoured; the reason goes in `detail`."""

    code = "invalid_token"
    title = "Invalid token"


class TokenPair(msgspec.Struct, frozen=True, kw_only=True):
    """What a successful login or refresh returns (the OAuth 2.0 token response shape)."""

    access_token: Annotated[str, Meta(description="ES256 JWT for `Authorization: Bearer`")]
    token_type: Annotated[Literal["Bearer"], Meta(description="Always Bearer")] = "Bearer"  # noqa: S105
    expires_in: Annotated[int, Meta(description="Seconds until the access token expires", examples=[900])]
    refresh_token: Annotated[str, Meta(description="Opaque; spent by one use of /refresh")]
    refresh_expires_in: Annotated[int, Meta(description="Seconds until the refresh token expires")]


class AccessClaims(msgspec.Struct, frozen=True, tag=True):
    user_id: UUID
    session_id: UUID
    token_id: UUID
    expires_at: datetime


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class TokenService:
    """Issues and verifies access tokens.

    A client sends the same access token with every request for up to 15 minutes, and an
    ES256 verification costs tens of microseconds of CPU. Tokens that verified are
    remembered (bounded, least recently used first out) until they expire, so a token is
    checked cryptographically once per worker rather than once per request.
    """

    __slots__ = ("_audience", "_issuer", "_keys", "_sealing", "_ttl", "_verified")

    def __init__(self, keys: SigningKeys, settings: Settings) -> None:
        self._keys = keys
        self._sealing = AESGCM(keys.derive("refresh-token-successor"))
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self._ttl = timedelta(seconds=settings.access_token_ttl_seconds)
        self._verified: OrderedDict[str, AccessClaims] = OrderedDict()

    def seal(self, refresh_token: str, *, bound_to: bytes) -> bytes:
        """A refresh token kept so that only this service can read it back (the rotated
        token's successor, for its grace window); `bound_to` (the rotated token's hash)
        makes a sealed value useless anywhere else."""
        nonce = secrets.token_bytes(12)
        return nonce + self._sealing.encrypt(nonce, refresh_token.encode(), bound_to)

    def unseal(self, sealed: bytes, *, bound_to: bytes) -> str | None:
        try:
            return self._sealing.decrypt(sealed[:12], sealed[12:], bound_to).decode()
        except (InvalidTag, ValueError):  # another signing key (rotated), or altered
            return None

    @property
    def ttl_seconds(self) -> int:
        return int(self._ttl.total_seconds())

    def issue(self, *, user_id: UUID, session_id: UUID) -> str:
        now = utc_now()
        claims = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": str(user_id),
            "sid": str(session_id),
            "jti": str(new_id()),
            "iat": now,
            "nbf": now,
            "exp": now + self._ttl,
        }
        return jwt.encode(
            claims,
            self._keys.private_key,
            algorithm=ALGORITHM,
            headers={"kid": self._keys.active_kid, "typ": ACCESS_TOKEN_TYPE},
        )

    def verify(self, token: str) -> AccessClaims:
        remembered = self._verified.get(token)
        if remembered is not None:
            if remembered.expires_at + _LEEWAY <= utc_now():
                del self._verified[token]
                raise InvalidToken("The token has expired.")
            self._verified.move_to_end(token)
            return remembered
        claims = self._verify_signed(token)
        self._verified[token] = claims
        if len(self._verified) > _REMEMBERED_TOKENS:
            self._verified.popitem(last=False)
        return claims

    def _verify_signed(self, token: str) -> AccessClaims:
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidToken("The token is too long.")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise InvalidToken("The token is malformed.") from None
        key = self._key_for(header)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                leeway=_LEEWAY,
                options={"require": _REQUIRED_CLAIMS, "strict_aud": True},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("The token has expired.") from None
        except jwt.PyJWTError:
            raise InvalidToken("The token is invalid.") from None
        try:
            return AccessClaims(
                user_id=UUID(claims["sub"]),
                session_id=UUID(claims["sid"]),
                token_id=UUID(claims["jti"]),
                expires_at=datetime.fromtimestamp(claims["exp"], tz=utc_now().tzinfo),
            )
        except (TypeError, ValueError):
            raise InvalidToken("The token is invalid.") from None

    def _key_for(self, header: dict[str, Any]) -> Any:
        if not set(header) <= _ALLOWED_HEADER:
            raise InvalidToken("The token header has parameters this service does not accept.")
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("The token is not signed with ES256.")
        if header.get("typ") != ACCESS_TOKEN_TYPE:
            raise InvalidToken("The token is not an access token.")
        kid = header.get("kid")
        key = self._keys.public_keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("The token was not signed by a key of this service.")
        return key

"""The practical limit: the benchmark's five endpoints as a raw ASGI callable, no framework.

Served by Granian exactly like our service (`granian --interface asgi --loop uvloop`),
with the same libraries underneath (asyncpg, msgspec, cryptography), the same SQL, the
same transactions and the same JSON. What it leaves out is everything a framework and
our middleware add: routing tables, dependency injection, parameter parsing, problem
mapping, security headers, request ids, access logs, metrics, rate limiting. The gap
between this and ours is what all of that costs.

Same work as ours, endpoint by endpoint:
- `GET /health/live`: a constant body, no I/O.
- `GET /api/v1/avatars/{id}`: one query (the view with the owner joined, `liked_by_me`
  from EXISTS with a NULL viewer: reads are anonymous here, the benchmark sends no token).
- `GET /api/v1/avatars?limit=&cursor=`: keyset page, newest first, limit + 1 rows, the
  cursor MAC'd with the list's scope as ours does (`src/core/pagination.py`).
- `POST /api/v1/avatars`: ES256 token verified (remembered once verified, as ours does),
  then one transaction: session still active, INSERT ... RETURNING the view, the
  `avatar.created` outbox event; 201 with `Location` and `ETag`.
- `GET /api/v1/users/me`: the token, then on one connection: session still active, the
  profile row.

Environment: DATABASE_URL, BENCH_JWT_KEY_FILE (the PEM private key our service signs
with; its public half verifies), JWT_ISSUER / JWT_AUDIENCE (default `avatar-api`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import time
import unicodedata
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Final
from urllib.parse import parse_qsl, urlencode
from uuid import UUID

import asyncpg
import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from msgspec import Meta
from uuid_utils import compat, uuid7

# --- SQL: the very statements our slices run -------------------------------------------

SELECT_AVATAR: Final = """
SELECT a.id, a.name, a.color, a.owner_id, u.display_name, a.likes_count,
       EXISTS (SELECT 1 FROM avatar_likes l WHERE l.avatar_id = a.id AND l.user_id = $2) AS liked_by_me,
       a.created_at, a.updated_at, a.version
FROM avatars a
JOIN users u ON u.id = a.owner_id AND u.deleted_at IS NULL
WHERE a.id = $1 AND a.deleted_at IS NULL
"""
LIST_AVATARS: Final = """
SELECT a.id, a.name, a.color, a.owner_id, u.display_name, a.likes_count,
       l.user_id IS NOT NULL AS liked_by_me, a.created_at, a.updated_at, a.version
FROM avatars a
JOIN users u ON u.id = a.owner_id AND u.deleted_at IS NULL
LEFT JOIN avatar_likes l ON l.avatar_id = a.id AND l.user_id = $1
WHERE a.deleted_at IS NULL AND a.id < $2
ORDER BY a.id DESC
LIMIT $3
"""
INSERT_AVATAR: Final = """
WITH inserted AS (
    INSERT INTO avatars (id, owner_id, name, color)
    VALUES ($1, $2, $3, $4)
    RETURNING id, name, color, owner_id, likes_count, created_at, updated_at, version
)
SELECT i.id, i.name, i.color, i.owner_id, u.display_name, i.likes_count, false AS liked_by_me,
       i.created_at, i.updated_at, i.version
FROM inserted i
JOIN users u ON u.id = i.owner_id
"""
INSERT_EVENT: Final = """
INSERT INTO outbox_events (id, type, owner_id, data, request_id)
VALUES ($1, $2, $3, $4::jsonb, $5)
"""
SESSION_IS_ACTIVE: Final = """
SELECT 1
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.deleted_at IS NULL
"""
SELECT_PROFILE: Final = """
SELECT id, email, display_name, created_at, updated_at
FROM users
WHERE id = $1 AND deleted_at IS NULL
"""

# --- Bodies -------------------------------------------------------------------------------

_CONTROL: Final = r"\x00-\x1f\x7f-\x9f"
_SPACE: Final = r" \u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
_SPACE_CHARACTERS: Final = "".join(
    chr(code) for code in (0x20, 0xA0, 0x1680, *range(0x2000, 0x200C), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF)
)
NAME_PATTERN: Final = rf"^[{_SPACE}]*[^{_SPACE}{_CONTROL}](?:[^{_CONTROL}]*[^{_SPACE}{_CONTROL}])?[{_SPACE}]*$"


class CreateAvatarRequest(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Annotated[str, Meta(min_length=1, max_length=50, pattern=NAME_PATTERN)]
    color: Annotated[str, Meta(pattern=r"^#[0-9A-Fa-f]{6}$")]


class AvatarOwner(msgspec.Struct, frozen=True):
    id: UUID
    display_name: str


class AvatarView(msgspec.Struct, frozen=True):
    id: UUID
    name: str
    color: str
    owner: AvatarOwner
    likes_count: int
    liked_by_me: bool
    created_at: datetime
    updated_at: datetime


class PageMeta(msgspec.Struct, frozen=True):
    limit: int
    next_cursor: str | None


class PageLinks(msgspec.Struct, frozen=True):
    next: str | None


class AvatarsPage(msgspec.Struct, frozen=True):
    data: list[AvatarView]
    meta: PageMeta
    links: PageLinks


class Profile(msgspec.Struct, frozen=True):
    id: UUID
    email: str
    display_name: str
    created_at: datetime
    updated_at: datetime


class Problem(msgspec.Struct, frozen=True):
    type: str
    title: str
    status: int
    detail: str
    code: str


class Claims(msgspec.Struct, frozen=True):
    user_id: UUID
    session_id: UUID
    expires_at: float


def avatar_view(row: asyncpg.Record) -> AvatarView:
    return AvatarView(row[0], row[1], row[2], AvatarOwner(row[3], row[4]), row[5], row[6], row[7], row[8])


_encode = msgspec.json.Encoder().encode
_decode_create = msgspec.json.Decoder(CreateAvatarRequest).decode


class HTTPError(Exception):
    def __init__(self, status: int, code: str, detail: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.headers = status, code, detail, headers or []


_TITLES: Final = {400: "Invalid input", 401: "Authentication required", 404: "Not found", 405: "Method not allowed"}


# --- Access tokens: what src/core/tokens.py checks, with msgspec and cryptography --------


class _Header(msgspec.Struct, forbid_unknown_fields=True):
    alg: str
    typ: str
    kid: str


class _Payload(msgspec.Struct):
    iss: str
    aud: str  # strict: a single string, as ours requires
    sub: UUID
    sid: UUID
    jti: UUID
    iat: float
    nbf: float
    exp: float


_decode_header = msgspec.json.Decoder(_Header).decode
_decode_payload = msgspec.json.Decoder(_Payload).decode
_LEEWAY: Final = 30.0
_REMEMBERED: Final = 4096
MAX_TOKEN_LENGTH: Final = 2048


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenVerifier:
    def __init__(self, private_pem: bytes, *, issuer: str, audience: str) -> None:
        private = serialization.load_pem_private_key(private_pem, password=None)
        if not isinstance(private, ec.EllipticCurvePrivateKey) or not isinstance(private.curve, ec.SECP256R1):
            raise SystemExit("BENCH_JWT_KEY_FILE must hold an EC P-256 private key")
        self._public = private.public_key()
        numbers = self._public.public_numbers()
        jwk = {"crv": "P-256", "kty": "EC", "x": _b64url(numbers.x.to_bytes(32, "big")),
               "y": _b64url(numbers.y.to_bytes(32, "big"))}  # fmt: skip
        self._kid = _b64url(hashlib.sha256(msgspec.json.encode(jwk)).digest())  # RFC 7638, as ours names keys
        self._issuer, self._audience = issuer, audience
        self._verified: OrderedDict[str, Claims] = OrderedDict()
        self.secret = hashlib.sha256(b"bench/cursor" + private_pem).digest()

    @classmethod
    def from_environment(cls) -> TokenVerifier:
        return cls(
            Path(os.environ["BENCH_JWT_KEY_FILE"]).read_bytes(),
            issuer=os.environ.get("JWT_ISSUER", "avatar-api"),
            audience=os.environ.get("JWT_AUDIENCE", "avatar-api"),
        )

    def verify(self, token: str) -> Claims:
        remembered = self._verified.get(token)
        if remembered is not None:
            if remembered.expires_at + _LEEWAY <= time.time():
                del self._verified[token]
                raise _invalid_token("The token has expired.")
            self._verified.move_to_end(token)
            return remembered
        claims = self._verify_signed(token)
        self._verified[token] = claims
        if len(self._verified) > _REMEMBERED:
            self._verified.popitem(last=False)
        return claims

    def _verify_signed(self, token: str) -> Claims:
        if len(token) > MAX_TOKEN_LENGTH:
            raise _invalid_token("The token is too long.")
        try:
            header_b64, payload_b64, signature_b64 = token.split(".")
            header = _decode_header(_unb64url(header_b64))
            signature = _unb64url(signature_b64)
        except (ValueError, binascii.Error, msgspec.DecodeError):
            raise _invalid_token("The token is malformed.") from None
        if header.alg != "ES256" or header.typ != "at+jwt" or header.kid != self._kid or len(signature) != 64:
            raise _invalid_token("The token is not an ES256 access token of this service.")
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            self._public.verify(der, f"{header_b64}.{payload_b64}".encode(), ec.ECDSA(hashes.SHA256()))
            payload = _decode_payload(_unb64url(payload_b64))
        except (InvalidSignature, ValueError, binascii.Error, msgspec.DecodeError):
            raise _invalid_token("The token is invalid.") from None
        now = time.time()
        if payload.exp <= now - _LEEWAY:
            raise _invalid_token("The token has expired.")
        if payload.nbf > now + _LEEWAY or payload.iat > now + _LEEWAY:
            raise _invalid_token("The token is invalid.")
        if payload.iss != self._issuer or payload.aud != self._audience:
            raise _invalid_token("The token is invalid.")
        return Claims(user_id=payload.sub, session_id=payload.sid, expires_at=payload.exp)


def _invalid_token(detail: str) -> HTTPError:
    return HTTPError(401, "invalid_token", detail, [(b"www-authenticate", b'Bearer error="invalid_token"')])


# --- Cursors: keyset on the last id, MAC'd with the list's scope (as src/core/pagination.py)

_VERSION: Final = b"\x01"
_MAC_BYTES: Final = 12
_CURSOR: Final = re.compile(r"[A-Za-z0-9_-]{0,128}")
_FROM_THE_NEWEST: Final = UUID(int=(1 << 128) - 1)
_SCOPE: Final = b"avatars:*"


def _mac(secret: bytes, payload: bytes) -> bytes:
    return hmac.new(secret, _SCOPE + b"\0" + payload, hashlib.sha256).digest()[:_MAC_BYTES]


def encode_cursor(secret: bytes, last_id: UUID) -> str:
    payload = _VERSION + last_id.bytes
    return base64.urlsafe_b64encode(payload + _mac(secret, payload)).rstrip(b"=").decode()


def decode_cursor(secret: bytes, cursor: str) -> UUID:
    try:
        raw = _unb64url(cursor)
    except (binascii.Error, ValueError):
        raw = b""
    payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
    if len(payload) != 17 or payload[:1] != _VERSION or not hmac.compare_digest(mac, _mac(secret, payload)):
        raise HTTPError(400, "invalid_cursor", "This cursor is not valid for this list.")
    return UUID(bytes=payload[1:])


# --- The application --------------------------------------------------------------------

_JSON: Final = (b"content-type", b"application/json")
_LIVE: Final = b'{"status":"ok"}'
_AVATARS: Final = "/api/v1/avatars"
_AVATAR_PREFIX: Final = "/api/v1/avatars/"
_BEARER: Final = "bearer "


async def _noop_reset(_: object) -> None:
    """As ours: no per-release reset query (no session state is ever changed)."""


class App:
    def __init__(self) -> None:
        self.pool: asyncpg.Pool[asyncpg.Record] | None = None
        self.tokens: TokenVerifier | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    self.tokens = TokenVerifier.from_environment()
                    self.pool = await asyncpg.create_pool(
                        os.environ["DATABASE_URL"],
                        min_size=10,
                        max_size=10,
                        reset=_noop_reset,
                        server_settings={"jit": "off"},  # as ours
                    )
                except Exception as exc:  # noqa: BLE001 - reported to the server, which exits
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        path: str = scope["path"]
        method: str = scope["method"]
        headers: list[tuple[bytes, bytes]] = []
        try:
            if path == "/health/live" and method == "GET":
                status, body = 200, _LIVE
            elif path == _AVATARS or path == _AVATARS + "/":
                if method == "GET":
                    status, body = 200, await self._list(scope)
                elif method == "POST":
                    status, body, headers = await self._create(scope, receive)
                else:
                    raise HTTPError(405, "method_not_allowed", "Method not allowed.")
            elif path.startswith(_AVATAR_PREFIX) and method == "GET":
                status, body, headers = await self._get(path[len(_AVATAR_PREFIX) :])
            elif path == "/api/v1/users/me" and method == "GET":
                status, body = 200, await self._me(scope)
            else:
                raise HTTPError(404, "not_found", "No such resource.")
        except HTTPError as error:
            status, headers = error.status, error.headers
            title = _TITLES.get(error.status, "Error")
            body = _encode(Problem(f"/problems/{error.code}", title, error.status, error.detail, error.code))
            headers = [(b"content-type", b"application/problem+json"), *headers]
        else:
            headers = [_JSON, *headers]
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _claims(self, scope: dict[str, Any]) -> Claims:
        assert self.tokens is not None  # noqa: S101 - set at start-up
        for name, value in scope["headers"]:
            if name == b"authorization":
                header = value.decode("latin-1")
                token = header[len(_BEARER) :].strip()
                if header[: len(_BEARER)].lower() != _BEARER or not token:
                    raise _invalid_token("Send the access token as `Authorization: Bearer <token>`.")
                return self.tokens.verify(token)
        raise HTTPError(401, "unauthorized", "This endpoint needs `Authorization: Bearer <access token>`.",
                        [(b"www-authenticate", b'Bearer realm="avatar-api"')])  # fmt: skip

    async def _get(self, raw_id: str) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        try:
            avatar_id = UUID(raw_id)
        except ValueError:
            raise HTTPError(404, "not_found", "No such resource.") from None
        assert self.pool is not None  # noqa: S101 - set at start-up
        async with self.pool.acquire() as connection:
            row = await connection.fetchrow(SELECT_AVATAR, avatar_id, None)
        if row is None:
            raise HTTPError(404, "not_found", "No avatar with this id.")
        return 200, _encode(avatar_view(row)), [(b"etag", f'"v{row[9]}"'.encode())]

    async def _list(self, scope: dict[str, Any]) -> bytes:
        assert self.pool is not None  # noqa: S101 - set at start-up
        assert self.tokens is not None  # noqa: S101
        limit, cursor = 20, ""
        for name, value in parse_qsl(scope["query_string"].decode("latin-1")):
            if name == "limit":
                if not value.isdigit() or not 1 <= int(value) <= 100:
                    raise HTTPError(400, "validation_failed", "limit: expected an integer from 1 to 100")
                limit = int(value)
            elif name == "cursor":
                if not _CURSOR.fullmatch(value):
                    raise HTTPError(400, "validation_failed", "cursor: not a cursor")
                cursor = value
        after = decode_cursor(self.tokens.secret, cursor) if cursor else _FROM_THE_NEWEST
        async with self.pool.acquire() as connection:
            rows = await connection.fetch(LIST_AVATARS, None, after, limit + 1)
        avatars = [avatar_view(row) for row in rows[:limit]]
        next_cursor = next_link = None
        if len(rows) > limit:
            next_cursor = encode_cursor(self.tokens.secret, avatars[-1].id)
            next_link = f"{_AVATARS}?{urlencode({'limit': str(limit), 'cursor': next_cursor})}"
        return _encode(AvatarsPage(avatars, PageMeta(limit, next_cursor), PageLinks(next_link)))

    async def _create(self, scope: dict[str, Any], receive: Any) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        claims = self._claims(scope)
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        try:
            data = _decode_create(b"".join(chunks))
        except msgspec.ValidationError as exc:
            raise HTTPError(400, "validation_failed", str(exc)) from None
        except msgspec.DecodeError:
            raise HTTPError(400, "bad_request", "The body is not valid JSON.") from None
        name = unicodedata.normalize("NFC", data.name.strip(_SPACE_CHARACTERS))
        assert self.pool is not None  # noqa: S101 - set at start-up
        async with self.pool.acquire() as connection, connection.transaction():
            if await connection.fetchval(SESSION_IS_ACTIVE, claims.session_id, claims.user_id) is None:
                raise _invalid_token("The session has ended (signed out, password changed or account deleted).")
            row = await connection.fetchrow(INSERT_AVATAR, compat.uuid7(), claims.user_id, name, data.color.upper())
            assert row is not None  # noqa: S101 - INSERT ... RETURNING returns the row
            view = avatar_view(row)
            avatar = msgspec.structs.asdict(view)
            del avatar["liked_by_me"]
            event = _encode({"avatar": avatar}).decode()
            request_id = str(uuid7())  # ours records the request's id (X-Request-ID or a new one)
            await connection.execute(INSERT_EVENT, compat.uuid7(), "avatar.created", claims.user_id, event, request_id)
        headers = [(b"location", f"{_AVATAR_PREFIX}{view.id}".encode()), (b"etag", f'"v{row[9]}"'.encode())]
        return 201, _encode(view), headers

    async def _me(self, scope: dict[str, Any]) -> bytes:
        claims = self._claims(scope)
        assert self.pool is not None  # noqa: S101 - set at start-up
        async with self.pool.acquire() as connection:
            if await connection.fetchval(SESSION_IS_ACTIVE, claims.session_id, claims.user_id) is None:
                raise _invalid_token("The session has ended (signed out, password changed or account deleted).")
            row = await connection.fetchrow(SELECT_PROFILE, claims.user_id)
        if row is None:
            raise HTTPError(404, "not_found", "This account no longer exists.")
        return _encode(Profile(*row))


app = App()

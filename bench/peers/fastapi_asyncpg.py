"""FastAPI + Pydantic v2 on raw asyncpg (no ORM), on uvicorn: what the ORM costs.

The same FastAPI application as `fastapi_sqlalchemy.py` (routes, Pydantic models,
`HTTPBearer` + PyJWT, a `get_current_user` dependency), with the database reached the
way the asyncpg documentation shows: a pool of 10 created in the lifespan, a connection
per request from a `Depends(get_connection)` dependency, hand-written SQL (our service's
statements), rows turned into Pydantic models. asyncpg's defaults are kept (including
its reset query when a connection goes back to the pool).

Same endpoints, status codes and JSON shapes as our service; what differs by idiom is
listed in `fastapi_sqlalchemy.py` (token verified on every request, session check and
user row in one query, a plain base64url cursor, 422 for invalid input).

Run by bench/run.py in its own env (bench/peers/requirements-fastapi.txt).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import unicodedata
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Final
from uuid import UUID

import asyncpg
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from uuid_utils.compat import uuid7

# --- SQL: our service's statements ---------------------------------------------------------

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
# Our session check and profile query, joined: the current user of an active session.
SELECT_CURRENT_USER: Final = """
SELECT u.id, u.email, u.display_name, u.created_at, u.updated_at
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.deleted_at IS NULL
"""
_FROM_THE_NEWEST: Final = UUID(int=(1 << 128) - 1)

# --- Settings -------------------------------------------------------------------------------

JWT_ISSUER: Final = os.environ.get("JWT_ISSUER", "avatar-api")
JWT_AUDIENCE: Final = os.environ.get("JWT_AUDIENCE", "avatar-api")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@lru_cache
def verification_key() -> tuple[ec.EllipticCurvePublicKey, str]:
    """The public half of the key our service signs with, and its kid (RFC 7638 thumbprint)."""
    private = serialization.load_pem_private_key(Path(os.environ["BENCH_JWT_KEY_FILE"]).read_bytes(), password=None)
    assert isinstance(private, ec.EllipticCurvePrivateKey)  # noqa: S101 - the harness gives a P-256 key
    public = private.public_key()
    numbers = public.public_numbers()
    jwk = {"crv": "P-256", "kty": "EC", "x": _b64url(numbers.x.to_bytes(32, "big")),
           "y": _b64url(numbers.y.to_bytes(32, "big"))}  # fmt: skip
    kid = _b64url(hashlib.sha256(json.dumps(jwk, separators=(",", ":")).encode()).digest())
    return public, kid


# --- Schemas --------------------------------------------------------------------------------

_CONTROL: Final = r"\x00-\x1f\x7f-\x9f"
_SPACE: Final = r" \u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff"
_SPACE_CHARACTERS: Final = "".join(
    chr(code) for code in (0x20, 0xA0, 0x1680, *range(0x2000, 0x200C), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF)
)
NAME_PATTERN: Final = rf"^[{_SPACE}]*[^{_SPACE}{_CONTROL}](?:[^{_CONTROL}]*[^{_SPACE}{_CONTROL}])?[{_SPACE}]*$"


def tidy(value: str) -> str:
    return unicodedata.normalize("NFC", value.strip(_SPACE_CHARACTERS))


class AvatarCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=NAME_PATTERN), AfterValidator(tidy)]
    color: Annotated[str, StringConstraints(pattern=r"^#[0-9A-Fa-f]{6}$", to_upper=True)]


class AvatarOwner(BaseModel):
    id: UUID
    display_name: str


class AvatarView(BaseModel):
    id: UUID
    name: str
    color: str
    owner: AvatarOwner
    likes_count: int
    liked_by_me: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> AvatarView:
        return cls(
            id=row["id"],
            name=row["name"],
            color=row["color"],
            owner=AvatarOwner(id=row["owner_id"], display_name=row["display_name"]),
            likes_count=row["likes_count"],
            liked_by_me=row["liked_by_me"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


class PageMeta(BaseModel):
    limit: int
    next_cursor: str | None


class PageLinks(BaseModel):
    next: str | None


class AvatarsPage(BaseModel):
    data: list[AvatarView]
    meta: PageMeta
    links: PageLinks


class Profile(BaseModel):
    id: UUID
    email: str
    display_name: str
    created_at: datetime
    updated_at: datetime


class LivenessResponse(BaseModel):
    status: str = "ok"


# --- Application ----------------------------------------------------------------------------


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    verification_key()
    app.state.pool = await asyncpg.create_pool(os.environ["DATABASE_URL"], min_size=10, max_size=10)
    yield
    await app.state.pool.close()


app = FastAPI(title="Avatars (FastAPI + asyncpg)", lifespan=lifespan)
bearer = HTTPBearer()


async def get_connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with request.app.state.pool.acquire() as connection:
        yield connection


ConnectionDep = Annotated[asyncpg.Connection, Depends(get_connection)]


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": "Bearer"})


def decode_access_token(token: str) -> dict[str, Any]:
    """What our service checks: ES256 only, our key, `typ: at+jwt`, every claim, iss and aud."""
    key, kid = verification_key()
    try:
        header = jwt.get_unverified_header(token)
        if header.get("typ") != "at+jwt" or header.get("kid") != kid or not set(header) <= {"alg", "typ", "kid"}:
            raise _unauthorized("The token is not an access token of this service.")
        return jwt.decode(
            token,
            key,
            algorithms=["ES256"],
            audience=JWT_AUDIENCE,
            issuer=JWT_ISSUER,
            leeway=30,
            options={"require": ["iss", "aud", "sub", "sid", "jti", "iat", "nbf", "exp"], "strict_aud": True},
        )
    except jwt.InvalidTokenError:
        raise _unauthorized("The token is invalid.") from None


async def get_current_user(
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)], connection: ConnectionDep
) -> Profile:
    claims = decode_access_token(credentials.credentials)
    try:
        user_id, session_id = UUID(claims["sub"]), UUID(claims["sid"])
    except (TypeError, ValueError):
        raise _unauthorized("The token is invalid.") from None
    row = await connection.fetchrow(SELECT_CURRENT_USER, session_id, user_id)
    if row is None:
        raise _unauthorized("The session has ended.")
    return Profile(**dict(row))


CurrentUser = Annotated[Profile, Depends(get_current_user)]


@app.get("/health/live")
async def live() -> LivenessResponse:
    return LivenessResponse()


@app.get("/api/v1/avatars/{avatar_id}")
async def get_avatar(avatar_id: UUID, connection: ConnectionDep, response: Response) -> AvatarView:
    row = await connection.fetchrow(SELECT_AVATAR, avatar_id, None)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No avatar with this id.")
    response.headers["ETag"] = f'"v{row["version"]}"'
    return AvatarView.from_row(row)


@app.get("/api/v1/avatars")
async def list_avatars(
    connection: ConnectionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str, Query(max_length=128, pattern=r"^[A-Za-z0-9_-]*$")] = "",
) -> AvatarsPage:
    after = _FROM_THE_NEWEST
    if cursor:
        try:
            after = UUID(bytes=base64.urlsafe_b64decode(cursor + "=="))
        except (binascii.Error, ValueError):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="This cursor is not valid.") from None
    rows = await connection.fetch(LIST_AVATARS, None, after, limit + 1)
    avatars = [AvatarView.from_row(row) for row in rows[:limit]]
    next_cursor = _b64url(avatars[-1].id.bytes) if len(rows) > limit else None
    return AvatarsPage(
        data=avatars,
        meta=PageMeta(limit=limit, next_cursor=next_cursor),
        links=PageLinks(next=f"/api/v1/avatars?limit={limit}&cursor={next_cursor}" if next_cursor else None),
    )


@app.post("/api/v1/avatars", status_code=status.HTTP_201_CREATED)
async def create_avatar(
    body: AvatarCreate, user: CurrentUser, connection: ConnectionDep, response: Response
) -> AvatarView:
    async with connection.transaction():
        row = await connection.fetchrow(INSERT_AVATAR, uuid7(), user.id, body.name, body.color)
        assert row is not None  # noqa: S101 - INSERT ... RETURNING returns the row
        avatar = AvatarView.from_row(row)
        event = {"avatar": avatar.model_dump(mode="json", exclude={"liked_by_me"})}
        await connection.execute(INSERT_EVENT, uuid7(), "avatar.created", user.id, json.dumps(event), None)
    response.headers["Location"] = f"/api/v1/avatars/{avatar.id}"
    response.headers["ETag"] = f'"v{row["version"]}"'
    return avatar


@app.get("/api/v1/users/me")
async def read_users_me(user: CurrentUser) -> Profile:
    return user

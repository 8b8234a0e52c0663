"""The usual stack: FastAPI + Pydantic v2 + SQLAlchemy 2 (async ORM, asyncpg driver) on uvicorn.

Written the way the FastAPI and SQLAlchemy documentation teach it: declarative models,
an `AsyncSession` per request from a `Depends(get_session)` dependency, Pydantic response
models read from the ORM objects (`from_attributes`), `HTTPBearer` + PyJWT for the token
and a `get_current_user` dependency. Nothing tuned down, nothing tuned up: the defaults
(session autobegin, expire_on_commit off as the async docs advise, pool of 10, no
overflow to match the other servers).

Same endpoints, status codes and JSON shapes as our service; what differs by idiom:
- the token is verified with PyJWT on every request (as the FastAPI docs do); ours
  remembers a verified token until it expires;
- `get_current_user` checks the session is active and loads the user in one query (a
  join); `/users/me` returns that user, as in the FastAPI docs;
- the list cursor is the last id, base64url-encoded (ours MACs it);
- invalid input is FastAPI's 422 with its own error body (ours: 400, problem details).

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

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import Depends, FastAPI, HTTPException, Query, Response, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints
from sqlalchemy import (
    DateTime,
    ForeignKey,
    Uuid,
    exists,
    false,
    func,
    literal,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    contains_eager,
    mapped_column,
    query_expression,
    relationship,
    with_expression,
)
from uuid_utils.compat import uuid7

# --- Settings -------------------------------------------------------------------------------


def database_url() -> str:
    url = os.environ["DATABASE_URL"]
    return url.replace("postgresql://", "postgresql+asyncpg://", 1).replace("postgres://", "postgresql+asyncpg://", 1)


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


# --- Models ---------------------------------------------------------------------------------


class Base(DeclarativeBase):
    type_annotation_map = {datetime: DateTime(timezone=True), dict[str, Any]: JSONB}  # noqa: RUF012 - SQLAlchemy's API


class User(Base):
    __tablename__ = "users"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    email: Mapped[str]
    display_name: Mapped[str]
    password_hash: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    deleted_at: Mapped[datetime | None]


class UserSession(Base):
    __tablename__ = "sessions"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Avatar(Base):
    __tablename__ = "avatars"
    __mapper_args__ = {"eager_defaults": True}  # noqa: RUF012 - server defaults come back with RETURNING

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str]
    color: Mapped[str]
    likes_count: Mapped[int] = mapped_column(server_default=text("0"))
    version: Mapped[int] = mapped_column(server_default=text("1"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
    deleted_at: Mapped[datetime | None]

    owner: Mapped[User] = relationship(lazy="raise")
    liked_by_me: Mapped[bool] = query_expression(default_expr=false())


class AvatarLike(Base):
    __tablename__ = "avatar_likes"

    avatar_id: Mapped[UUID] = mapped_column(ForeignKey("avatars.id"), primary_key=True)
    user_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class OutboxEvent(Base):
    __tablename__ = "outbox_events"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    type: Mapped[str]
    owner_id: Mapped[UUID] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict[str, Any]]
    request_id: Mapped[str | None]
    occurred_at: Mapped[datetime] = mapped_column(server_default=func.now())
    dispatched_at: Mapped[datetime | None]


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
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    display_name: str


class AvatarView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    color: str
    owner: AvatarOwner
    likes_count: int
    liked_by_me: bool
    created_at: datetime
    updated_at: datetime


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
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    email: str
    display_name: str
    created_at: datetime
    updated_at: datetime


class LivenessResponse(BaseModel):
    status: str = "ok"


# --- Application ----------------------------------------------------------------------------

engine: AsyncEngine | None = None
SessionLocal: async_sessionmaker[AsyncSession] | None = None


@asynccontextmanager
async def lifespan(_: FastAPI) -> AsyncIterator[None]:
    global engine, SessionLocal  # noqa: PLW0603 - the module-level engine of the SQLAlchemy docs
    engine = create_async_engine(database_url(), pool_size=10, max_overflow=0)
    SessionLocal = async_sessionmaker(engine, expire_on_commit=False)
    verification_key()
    yield
    await engine.dispose()


app = FastAPI(title="Avatars (FastAPI + SQLAlchemy)", lifespan=lifespan)
bearer = HTTPBearer()


async def get_session() -> AsyncIterator[AsyncSession]:
    assert SessionLocal is not None  # noqa: S101 - set by the lifespan
    async with SessionLocal() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


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
    credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)], session: SessionDep
) -> User:
    claims = decode_access_token(credentials.credentials)
    try:
        user_id, session_id = UUID(claims["sub"]), UUID(claims["sid"])
    except (TypeError, ValueError):
        raise _unauthorized("The token is invalid.") from None
    user = await session.scalar(
        select(User)
        .join(UserSession, UserSession.user_id == User.id)
        .where(
            User.id == user_id,
            User.deleted_at.is_(None),
            UserSession.id == session_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > func.now(),
        )
    )
    if user is None:
        raise _unauthorized("The session has ended.")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def liked_by(viewer_id: UUID | None) -> Any:
    """`liked_by_me` for one viewer (none here: the benchmark reads anonymously)."""
    like = select(AvatarLike).where(AvatarLike.avatar_id == Avatar.id, AvatarLike.user_id == literal(viewer_id, Uuid))
    return exists(like)


def live_avatars(viewer_id: UUID | None = None) -> Any:
    return (
        select(Avatar)
        .join(Avatar.owner.and_(User.deleted_at.is_(None)))
        .options(contains_eager(Avatar.owner), with_expression(Avatar.liked_by_me, liked_by(viewer_id)))
        .where(Avatar.deleted_at.is_(None))
    )


@app.get("/health/live")
async def live() -> LivenessResponse:
    return LivenessResponse()


@app.get("/api/v1/avatars/{avatar_id}", response_model=AvatarView)
async def get_avatar(avatar_id: UUID, session: SessionDep, response: Response) -> Avatar:
    avatar = await session.scalar(live_avatars().where(Avatar.id == avatar_id))
    if avatar is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="No avatar with this id.")
    response.headers["ETag"] = f'"v{avatar.version}"'
    return avatar


@app.get("/api/v1/avatars", response_model=AvatarsPage)
async def list_avatars(
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str, Query(max_length=128, pattern=r"^[A-Za-z0-9_-]*$")] = "",
) -> AvatarsPage:
    statement = live_avatars().order_by(Avatar.id.desc()).limit(limit + 1)
    if cursor:
        try:
            statement = statement.where(Avatar.id < UUID(bytes=base64.urlsafe_b64decode(cursor + "==")))
        except (binascii.Error, ValueError):
            raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="This cursor is not valid.") from None
    avatars = list(await session.scalars(statement))
    next_cursor = None
    if len(avatars) > limit:
        avatars = avatars[:limit]
        next_cursor = _b64url(avatars[-1].id.bytes)
    return AvatarsPage(
        data=[AvatarView.model_validate(avatar) for avatar in avatars],
        meta=PageMeta(limit=limit, next_cursor=next_cursor),
        links=PageLinks(next=f"/api/v1/avatars?limit={limit}&cursor={next_cursor}" if next_cursor else None),
    )


@app.post("/api/v1/avatars", response_model=AvatarView, status_code=status.HTTP_201_CREATED)
async def create_avatar(body: AvatarCreate, user: CurrentUser, session: SessionDep, response: Response) -> Avatar:
    avatar = Avatar(owner=user, name=body.name, color=body.color)
    session.add(avatar)
    await session.flush()  # INSERT ... RETURNING the server defaults
    avatar.liked_by_me = False
    event = AvatarView.model_validate(avatar).model_dump(mode="json", exclude={"liked_by_me"})
    session.add(OutboxEvent(type="avatar.created", owner_id=user.id, data={"avatar": event}, request_id=None))
    await session.commit()
    response.headers["Location"] = f"/api/v1/avatars/{avatar.id}"
    response.headers["ETag"] = f'"v{avatar.version}"'
    return avatar


@app.get("/api/v1/users/me", response_model=Profile)
async def read_users_me(user: CurrentUser) -> User:
    return user

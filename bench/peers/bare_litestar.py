"""The framework's floor: the benchmark's endpoints on Litestar with nothing of ours.

Served by Granian like ours and like the practical limit, with the practical limit's SQL,
token check, cursors and msgspec Structs (imported from `bare_asgi`), so the three differ
only in what sits around the same work:

- the practical limit: no framework at all;
- this: Litestar's routing, parameter parsing, dependency injection (one dependency: the
  pooled connection) and response building, and nothing else: no request ids, access
  log, metrics, rate limits, security headers, problem details, strict bodies or read
  retries;
- ours: all of that.

So ours minus this is what our kernel costs, and this minus the limit what Litestar does.

Environment: DATABASE_URL, BENCH_JWT_KEY_FILE (as `bare_asgi`).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import asyncpg
import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody
from uuid_utils import compat, uuid7

from bench.peers.bare_asgi import (
    _AVATAR_PREFIX,
    _AVATARS,
    _FROM_THE_NEWEST,
    _SPACE_CHARACTERS,
    INSERT_AVATAR,
    INSERT_EVENT,
    LIST_AVATARS,
    SELECT_AVATAR,
    SELECT_PROFILE,
    SESSION_IS_ACTIVE,
    AvatarsPage,
    AvatarView,
    Claims,
    CreateAvatarRequest,
    HTTPError,
    PageLinks,
    PageMeta,
    Profile,
    TokenVerifier,
    _noop_reset,
    avatar_view,
    decode_cursor,
    encode_cursor,
)

_encode = msgspec.json.Encoder().encode
_BEARER = "bearer "


async def provide_connection(state: State) -> AsyncIterator[asyncpg.Connection]:
    async with state.pool.acquire() as connection:
        yield connection


def _claims(request: Request[Any, Any, Any]) -> Claims:
    tokens: TokenVerifier = request.app.state.tokens
    header = request.headers.get("authorization", "")
    if header[: len(_BEARER)].lower() != _BEARER:
        raise HTTPException(status_code=401, detail="This endpoint needs a bearer token.")
    try:
        return tokens.verify(header[len(_BEARER) :].strip())
    except HTTPError as error:
        raise HTTPException(status_code=401, detail=error.detail) from None


@get("/health/live", sync_to_thread=False)
def live() -> dict[str, str]:
    return {"status": "ok"}


@get(f"{_AVATAR_PREFIX}{{avatar_id:uuid}}")
async def get_avatar(
    avatar_id: FromPath[UUID], connection: NamedDependency[asyncpg.Connection]
) -> Response[AvatarView]:
    row = await connection.fetchrow(SELECT_AVATAR, avatar_id, None)
    if row is None:
        raise NotFoundException("No avatar with this id.")
    return Response(avatar_view(row), headers={"ETag": f'"v{row[9]}"'})


@get(_AVATARS)
async def list_avatars(
    request: Request[Any, Any, Any],
    connection: NamedDependency[asyncpg.Connection],
    limit: FromQuery[int] = 20,
    cursor: FromQuery[str] = "",
) -> AvatarsPage:
    if not 1 <= limit <= 100:
        raise HTTPException(status_code=400, detail="limit: expected an integer from 1 to 100")
    secret: bytes = request.app.state.tokens.secret
    try:
        after = decode_cursor(secret, cursor) if cursor else _FROM_THE_NEWEST
    except HTTPError as error:
        raise HTTPException(status_code=400, detail=error.detail) from None
    rows = await connection.fetch(LIST_AVATARS, None, after, limit + 1)
    avatars = [avatar_view(row) for row in rows[:limit]]
    next_cursor = encode_cursor(secret, avatars[-1].id) if len(rows) > limit else None
    next_link = f"{_AVATARS}?limit={limit}&cursor={next_cursor}" if next_cursor else None
    return AvatarsPage(avatars, PageMeta(limit, next_cursor), PageLinks(next_link))


@post(_AVATARS, status_code=201)
async def create_avatar(
    request: Request[Any, Any, Any],
    data: JSONBody[CreateAvatarRequest],
    connection: NamedDependency[asyncpg.Connection],
) -> Response[AvatarView]:
    claims = _claims(request)
    name = unicodedata.normalize("NFC", data.name.strip(_SPACE_CHARACTERS))
    async with connection.transaction():
        if await connection.fetchval(SESSION_IS_ACTIVE, claims.session_id, claims.user_id) is None:
            raise HTTPException(status_code=401, detail="The session has ended.")
        row = await connection.fetchrow(INSERT_AVATAR, compat.uuid7(), claims.user_id, name, data.color.upper())
        assert row is not None  # noqa: S101 - INSERT ... RETURNING returns the row
        view = avatar_view(row)
        avatar = msgspec.structs.asdict(view)
        del avatar["liked_by_me"]
        event = _encode({"avatar": avatar}).decode()
        await connection.execute(INSERT_EVENT, compat.uuid7(), "avatar.created", claims.user_id, event, str(uuid7()))
    return Response(view, status_code=201, headers={"Location": f"{_AVATAR_PREFIX}{view.id}", "ETag": f'"v{row[9]}"'})


@get("/api/v1/users/me")
async def read_me(request: Request[Any, Any, Any], connection: NamedDependency[asyncpg.Connection]) -> Profile:
    claims = _claims(request)
    if await connection.fetchval(SESSION_IS_ACTIVE, claims.session_id, claims.user_id) is None:
        raise HTTPException(status_code=401, detail="The session has ended.")
    row = await connection.fetchrow(SELECT_PROFILE, claims.user_id)
    if row is None:
        raise NotFoundException("This account no longer exists.")
    return Profile(*row)


async def open_pool(app: Litestar) -> None:
    app.state.tokens = TokenVerifier.from_environment()
    app.state.pool = await asyncpg.create_pool(
        os.environ["DATABASE_URL"], min_size=10, max_size=10, reset=_noop_reset, server_settings={"jit": "off"}
    )


async def close_pool(app: Litestar) -> None:
    await app.state.pool.close()


app = Litestar(
    [live, get_avatar, list_avatars, create_avatar, read_me],
    dependencies={"connection": Provide(provide_connection)},
    on_startup=[open_pool],
    on_shutdown=[close_pool],
    openapi_config=None,
    logging_config=None,
)

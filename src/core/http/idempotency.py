"""Idempotent creates: `Idempotency-Key` on POST, per caller, kept 24 hours.

- The first request with a key runs; its response (status, body, a few headers) is
  stored in the *same transaction* as the resource it created, so a crash never leaves
  a key without its resource or a resource without its key.
- A retry with the same key and the same body gets the stored response again, with
  `Idempotent-Replayed: true`, and creates nothing. Fields that are shown once (a
  webhook's signing secret) are stored, and replayed, as null: no secret sits in the
  idempotency table, or is handed out again for 24 hours to whoever holds the key.
- The same key with another body is a 422: the client reused a key by mistake.
- While the first request is still running, a second one with that key gets 409
  instead of waiting: a transaction-scoped advisory lock on (scope, key) tells.

The body is compared in canonical form (the decoded request re-encoded), so key order
and whitespace do not matter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable, Mapping
from datetime import timedelta
from typing import Annotated, Any, Final, cast

import msgspec
from litestar import Request, Response
from litestar.openapi.spec import Example
from litestar.params import HeaderParameter

from src.core.clock import utc_now
from src.core.data.database import Connection
from src.core.errors import Conflict, DomainError
from src.core.runtime.jobs import JobContext, PeriodicJob
from src.core.text import END

__all__ = (
    "EXPIRE_IDEMPOTENCY_KEYS",
    "IDEMPOTENCY_KEY_HEADER",
    "KEY_MAX_LENGTH",
    "KEY_PATTERN",
    "Idempotency",
    "IdempotencyKeyParam",
    "KeyReused",
    "expire_idempotency_keys",
)

IDEMPOTENCY_KEY_HEADER: Final = "Idempotency-Key"
# A key: 1 to KEY_MAX_LENGTH visible ASCII characters.
KEY_PATTERN: Final = rf"^[!-~]+{END}"
KEY_MAX_LENGTH: Final = 255
REPLAYED_HEADER: Final = "Idempotent-Replayed"
# Headers of the stored response worth replaying.
_KEPT_HEADERS: Final = ("location", "etag")
_TTL: Final = timedelta(hours=24)
_CLEANUP_BATCH: Final = 1000

TRY_LOCK: Final = "SELECT pg_try_advisory_xact_lock(hashtextextended($1 || ' ' || $2, 0))"
SELECT_STORED: Final = """
SELECT request_hash, status_code, response_body, response_headers
FROM idempotency_keys
WHERE scope = $1 AND key = $2 AND expires_at > now()
"""
DELETE_EXPIRED_KEY: Final = "DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND expires_at <= now()"
DELETE_EXPIRED_KEYS: Final = """
DELETE FROM idempotency_keys
WHERE ctid IN (SELECT ctid FROM idempotency_keys WHERE expires_at < now() LIMIT $1)
"""
INSERT_STORED: Final = """
INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response_body, response_headers, expires_at)
VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
"""


class KeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"
    title = "Idempotency key reused"


# Declared on the route (documented in OpenAPI, checked by Litestar: a malformed key is a
# 400 naming the header).
IdempotencyKeyParam = Annotated[
    str | None,
    HeaderParameter(
        name=IDEMPOTENCY_KEY_HEADER,
        min_length=1,
        max_length=KEY_MAX_LENGTH,
        pattern=KEY_PATTERN,
        description="Makes a retry safe: 1-255 visible ASCII characters, unique per attempt (a UUID). "
        "A retry with the same key and body replays the first response (`Idempotent-Replayed: true`); "
        "another body is a 422; while the first is still running, a 409. Kept 24 hours.",
        examples=[Example(value="5f0c2d6e-8a1b-4c3d-9e7f-0a1b2c3d4e5f")],
    ),
]


def _fingerprint(method: str, path: str, body: msgspec.Struct) -> bytes:
    return hashlib.sha256(f"{method} {path}\n".encode() + msgspec.json.encode(body)).digest()


class Idempotency:
    """One request's use of a key. Without a key it simply runs the request."""

    __slots__ = ("_conceal", "_connection", "_fingerprint", "_key", "_scope")

    def __init__(
        self,
        connection: Connection,
        request: Request[Any, Any, Any],
        *,
        scope: str,
        key: str | None,
        body: msgspec.Struct,
        conceal: frozenset[str] = frozenset(),
    ) -> None:
        """`conceal` names response fields that are shown once (a signing secret): they are
        stored, and so replayed, as null, never kept in the idempotency table."""
        self._connection = connection
        self._scope = scope
        self._key = key
        self._conceal = conceal
        self._fingerprint = _fingerprint(request.method, request.url.path, body)

    async def run[T](self, produce: Callable[[], Awaitable[Response[T]]]) -> Response[T]:
        """The stored response for a retry, else `produce()`'s, stored before commit."""
        if self._key is None:
            return await produce()
        if not await self._connection.fetchval(TRY_LOCK, self._scope, self._key):
            raise Conflict(
                "A request with this Idempotency-Key is still in progress; retry when it has finished.",
                code="idempotency_key_in_flight",
            )
        stored = await self._connection.fetchrow(SELECT_STORED, self._scope, self._key)
        if stored is not None:
            if stored["request_hash"] != self._fingerprint:
                raise KeyReused("This Idempotency-Key was used with a different request body.")
            replay = Response(
                bytes(stored["response_body"]),
                status_code=stored["status_code"],
                media_type="application/json",
                headers={**msgspec.json.decode(stored["response_headers"]), REPLAYED_HEADER: "true"},
            )
            # The very bytes first sent: Litestar sends bytes content as they are.
            return cast("Response[T]", replay)
        await self._connection.execute(DELETE_EXPIRED_KEY, self._scope, self._key)
        response = await produce()
        await self._store(response)
        return response

    async def _store(self, response: Response[Any]) -> None:
        kept: Mapping[str, str] = {
            name: value for name, value in response.headers.items() if name.lower() in _KEPT_HEADERS
        }
        stored_body = msgspec.json.encode(response.content)
        if self._conceal:
            fields = msgspec.json.decode(stored_body)
            stored_body = msgspec.json.encode(
                {name: None if name in self._conceal else value for name, value in fields.items()}
            )
        await self._connection.execute(
            INSERT_STORED,
            self._scope,
            self._key,
            self._fingerprint,
            response.status_code,
            stored_body,
            msgspec.json.encode(kept).decode(),
            utc_now() + _TTL,
        )


async def expire_idempotency_keys(context: JobContext) -> int:
    """Deletes keys past their 24 hours, in batches (a retry after that creates anew)."""
    return await context.database.execute_in_batches(DELETE_EXPIRED_KEYS, batch=_CLEANUP_BATCH)


EXPIRE_IDEMPOTENCY_KEYS: Final = PeriodicJob(
    name="expire-idempotency-keys", interval_seconds=3600, run=expire_idempotency_keys
)

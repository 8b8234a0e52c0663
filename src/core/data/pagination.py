"""Cursor pagination: keyset pages in a declared order, one helper for every list.

A page is `{"data": [...], "meta": {"limit", "next_cursor"}, "links": {"next"}}`. The
cursor is opaque to clients: the sort key of the page's last row, MAC'd together with
the list it belongs to (its scope: which list, whose, which filters), so a cursor that
was altered, or replayed against another list or filter, is refused with 400 instead of
silently paging somewhere else.

Keyset, not offset: a list declares its order as a `Keyset`, the columns of its sort
key (`NEWEST_FIRST`: the time-ordered id; `Keyset(liked_at=datetime, id=UUID)`: most
recently liked first, ties broken by id). Its query selects
`WHERE (liked_at, id) < ($2, $3) ORDER BY liked_at DESC, id DESC LIMIT $4`, binding
`*page.position` and `page.fetch_size`: rows inserted or deleted between requests never
shift the pages, every row that existed throughout is seen exactly once, and page 1000
costs what page 1 costs. The first page starts from a key beyond every row (the greatest
UUID, the latest datetime), so one query serves every page and stays an index range scan.
The one extra row tells whether there is a next page.

In a slice (see `list_avatars`):

    pagination = cursors.paginate(request.url.path, scope="avatars", filters={"owner_id": owner_id},
                                  limit=limit, cursor=cursor)
    result = await list_avatars(ListAvatars(..., page=pagination.request), connection=connection)
    return pagination.page(AvatarsPage, result)

and its handler returns `command.page.result(rows, item=avatar_view)`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urlencode
from uuid import UUID

import asyncpg
import msgspec

from src.core.errors import FieldError, InvalidInput

__all__ = (
    "CURSOR_PARAMETER",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "NEWEST_FIRST",
    "CursorCodec",
    "Keyset",
    "Page",
    "PageLinks",
    "PageMeta",
    "PageRequest",
    "PageResult",
    "Pagination",
)

DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 100
# The query parameter every list takes its cursor in (the API fuzz knows lists by it).
CURSOR_PARAMETER: Final = "cursor"
_VERSION: Final = b"\x02"
_MAC_BYTES: Final = 12

type Key = tuple[Any, ...]

# The key every row sorts before (descending) or after (ascending), per column type.
_GREATEST: Final[Mapping[type, Any]] = {
    UUID: UUID(int=(1 << 128) - 1),
    datetime: datetime.max.replace(tzinfo=UTC),
    int: (1 << 63) - 1,
}
_LEAST: Final[Mapping[type, Any]] = {UUID: UUID(int=0), datetime: datetime.min.replace(tzinfo=UTC), int: -(1 << 63)}


class Keyset:
    """The order of a list: its sort key's columns (name and type), descending unless said."""

    __slots__ = ("_decoder", "columns", "descending", "start")

    def __init__(self, *, descending: bool = True, **columns: type) -> None:
        if not columns:
            raise ValueError("a keyset needs at least one column")
        bounds = _GREATEST if descending else _LEAST
        unsupported = [name for name, kind in columns.items() if kind not in bounds]
        if unsupported:
            raise ValueError(f"keyset columns must be UUID, datetime or int: {', '.join(unsupported)}")
        self.columns: tuple[str, ...] = tuple(columns)
        self.descending = descending
        self.start: Key = tuple(bounds[kind] for kind in columns.values())
        """Where the first page starts: beyond every row."""
        key_type: Any = tuple[tuple(columns.values())]  # type: ignore[misc]  # tuple[UUID, datetime, ...]
        self._decoder = msgspec.msgpack.Decoder(key_type)

    def key_of(self, row: asyncpg.Record) -> Key:
        return tuple(row[column] for column in self.columns)

    def decode(self, payload: bytes) -> Key:
        key: Key = self._decoder.decode(payload)
        return key


NEWEST_FIRST: Final = Keyset(id=UUID)
"""Time-ordered ids (UUID v7), newest first: the order of most lists."""

_encode_key: Final = msgspec.msgpack.Encoder(uuid_format="bytes").encode


class PageResult[T](msgspec.Struct, frozen=True):
    """What a list handler returns: this page's items, and where the next page starts."""

    items: list[T]
    next_after: Key | None
    """The sort key of this page's last row when more rows follow; None on the last page."""


class PageRequest(msgspec.Struct, frozen=True):
    limit: int
    after: Key | None = None
    """Continue after this sort key; None for the first page."""
    keyset: Keyset = NEWEST_FIRST

    @property
    def position(self) -> Key:
        """The key to bind in the query (`*page.position`): the first page starts beyond every row."""
        return self.keyset.start if self.after is None else self.after

    @property
    def fetch_size(self) -> int:
        """The query's LIMIT: one row more than the page tells whether another page exists."""
        return self.limit + 1

    def result[T](self, rows: Sequence[asyncpg.Record], *, item: Callable[[asyncpg.Record], T]) -> PageResult[T]:
        """Rows fetched with LIMIT `fetch_size` -> this page's items and the next page's start."""
        page_rows = rows[: self.limit]
        next_after = self.keyset.key_of(page_rows[-1]) if len(rows) > self.limit else None
        return PageResult(items=[item(row) for row in page_rows], next_after=next_after)


class PageMeta(msgspec.Struct, frozen=True):
    limit: int
    next_cursor: str | None


class PageLinks(msgspec.Struct, frozen=True):
    next: str | None


class Page[T](msgspec.Struct, frozen=True):
    """Subclass per list with `data` restated: `class AvatarsPage(Page[AvatarView]): data: list[AvatarView]`."""

    data: list[T]
    meta: PageMeta
    links: PageLinks


def _bad_cursor() -> InvalidInput:
    error = FieldError(
        pointer=f"#/{CURSOR_PARAMETER}", detail="This cursor is not valid for this list.", location="query"
    )
    return InvalidInput(error.detail, errors=(error,), code="invalid_cursor")


class CursorCodec:
    """Makes and checks cursors; one per worker, keyed by a secret derived from the signing key."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, scope: str, payload: bytes) -> bytes:
        return hmac.digest(self._secret, scope.encode() + b"\0" + payload, "sha256")[:_MAC_BYTES]

    def encode(self, *, scope: str, key: Key) -> str:
        payload = _VERSION + _encode_key(key)
        return base64.urlsafe_b64encode(payload + self._mac(scope, payload)).rstrip(b"=").decode()

    def decode(self, cursor: str, *, scope: str, keyset: Keyset) -> Key:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise _bad_cursor() from None
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if payload[:1] != _VERSION or not hmac.compare_digest(mac, self._mac(scope, payload)):
            raise _bad_cursor()
        try:
            return keyset.decode(payload[1:])
        except msgspec.DecodeError:  # a cursor of another keyset's shape, under this scope's MAC
            raise _bad_cursor() from None

    def paginate(
        self,
        path: str,
        *,
        scope: str,
        filters: Mapping[str, object] | None = None,
        limit: int,
        cursor: str,
        keyset: Keyset = NEWEST_FIRST,
    ) -> Pagination:
        """One list request. `scope` names the list and whose it is (`f"sessions:{user_id}"`);
        `filters` are the query parameters that select it: both bind the cursor, and the
        filters are repeated in `links.next`."""
        query = {name: str(value) for name, value in (filters or {}).items() if value is not None}
        bound_scope = scope + "?" + urlencode(sorted(query.items())) if query else scope
        after = self.decode(cursor, scope=bound_scope, keyset=keyset) if cursor else None
        return Pagination(
            self,
            PageRequest(limit=limit, after=after, keyset=keyset),
            scope=bound_scope,
            path=path,
            query=query,
        )


class Pagination:
    """A list request in progress: its `request` for the handler, then its `page` for the response."""

    __slots__ = ("_codec", "_path", "_query", "_scope", "request")

    def __init__(
        self, codec: CursorCodec, request: PageRequest, *, scope: str, path: str, query: Mapping[str, str]
    ) -> None:
        self._codec = codec
        self.request = request
        self._scope = scope
        self._path = path
        self._query = query

    def page[P: Page[Any]](self, page_type: type[P], result: PageResult[Any]) -> P:
        """The page body; `page_type` is the slice's named subclass (`class AvatarsPage(Page[AvatarView])`),
        so the OpenAPI document, and the SDKs generated from it, get a readable type name."""
        limit = self.request.limit
        next_cursor = next_link = None
        if result.next_after is not None:
            next_cursor = self._codec.encode(scope=self._scope, key=result.next_after)
            link_query = {**self._query, "limit": str(limit), CURSOR_PARAMETER: next_cursor}
            next_link = f"{self._path}?{urlencode(link_query)}"
        return page_type(
            data=result.items, meta=PageMeta(limit=limit, next_cursor=next_cursor), links=PageLinks(next=next_link)
        )

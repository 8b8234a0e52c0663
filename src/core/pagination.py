"""Cursor pagination: keyset on time-ordered ids (UUID v7), newest first.

A page is `{"data": [...], "meta": {"limit", "next_cursor"}, "links": {"next"}}`. The
cursor is opaque to clients: the last id of the page, MAC'd together with the list it
belongs to (its "scope": which list, which filters), so a cursor that was altered, or
replayed against another list or filter, is refused with 400 instead of silently
paging somewhere else.

Keyset, not offset: a handler selects `WHERE id < $after ORDER BY id DESC LIMIT
$limit + 1`, so rows inserted or deleted between requests never shift the pages: every
row that existed throughout is seen exactly once, and the cost of page 1000 is the cost
of page 1. The extra row tells whether there is a next page.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Final
from urllib.parse import urlencode
from uuid import UUID

import msgspec
from msgspec import Meta

from src.core.errors import FieldError, InvalidInput

__all__ = (
    "DEFAULT_LIMIT",
    "CursorCodec",
    "CursorParam",
    "LimitParam",
    "Page",
    "PageLinks",
    "PageMeta",
    "PageRequest",
    "build_page",
    "split_page",
)

DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 100
_VERSION: Final = b"\x01"
_MAC_BYTES: Final = 12

type LimitParam = Annotated[
    int, Meta(ge=1, le=MAX_LIMIT, description=f"Items per page, 1-{MAX_LIMIT}", examples=[DEFAULT_LIMIT])
]
# Not nullable: an empty value means "from the start", and `?cursor=` is what many
# clients send for "no cursor".
type CursorParam = Annotated[
    str,
    Meta(
        max_length=128,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="Opaque: the `meta.next_cursor` of the previous page; empty for the first page",
    ),
]


class PageRequest(msgspec.Struct, frozen=True):
    limit: int
    after: UUID | None
    """Return items with ids strictly below this one (older), or from the newest if None."""


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
    error = FieldError(pointer="#/cursor", detail="This cursor is not valid for this list.", location="query")
    return InvalidInput(error.detail, errors=(error,), code="invalid_cursor")


class CursorCodec:
    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, scope: str, payload: bytes) -> bytes:
        return hmac.digest(self._secret, scope.encode() + b"\0" + payload, "sha256")[:_MAC_BYTES]

    def encode(self, *, scope: str, last_id: UUID) -> str:
        payload = _VERSION + last_id.bytes
        return base64.urlsafe_b64encode(payload + self._mac(scope, payload)).rstrip(b"=").decode()

    def decode(self, cursor: str, *, scope: str) -> UUID:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise _bad_cursor() from None
        payload, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if len(payload) != 17 or payload[:1] != _VERSION or not hmac.compare_digest(mac, self._mac(scope, payload)):
            raise _bad_cursor()
        return UUID(bytes=payload[1:])

    def page_request(self, *, scope: str, limit: int, cursor: str) -> PageRequest:
        return PageRequest(limit=limit, after=self.decode(cursor, scope=scope) if cursor else None)


def split_page[T](rows: Sequence[T], limit: int) -> tuple[list[T], bool]:
    """Rows fetched with LIMIT limit + 1 -> (this page's rows, whether more exist)."""
    return list(rows[:limit]), len(rows) > limit


def build_page[P: Page[Any]](
    page_type: type[P],
    items: list[Any],
    *,
    has_more: bool,
    last_id: UUID | None,
    limit: int,
    codec: CursorCodec,
    scope: str,
    path: str,
    query: Mapping[str, str],
) -> P:
    """The page body; `links.next` repeats the request's filters with the next cursor.

    `page_type` is the slice's named subclass (`class AvatarsPage(Page[AvatarView])`), so
    the OpenAPI document, and the SDKs generated from it, get a readable type name.
    """
    next_cursor = codec.encode(scope=scope, last_id=last_id) if has_more and last_id is not None else None
    next_link = None
    if next_cursor is not None:
        next_link = f"{path}?{urlencode({**query, 'limit': str(limit), 'cursor': next_cursor})}"
    return page_type(data=items, meta=PageMeta(limit=limit, next_cursor=next_cursor), links=PageLinks(next=next_link))

"""Keyset pagination: cursors for compound keys, every row exactly once, cursors bound to their list."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from uuid import UUID

import asyncpg
import pytest

from src.core.data.pagination import NEWEST_FIRST, CursorCodec, Keyset, Page, PageRequest
from src.core.errors import InvalidInput
from src.core.ids import new_id

# "Most recently liked first": a compound key, ties on the timestamp broken by the id.
LIKED_FIRST = Keyset(liked_at=datetime, id=UUID)
CREATE = "CREATE TABLE likes (id uuid PRIMARY KEY, liked_at timestamptz NOT NULL)"
PAGE = """
SELECT id, liked_at FROM likes
WHERE (liked_at, id) < ($1, $2)
ORDER BY liked_at DESC, id DESC
LIMIT $3
"""


class LikesPage(Page[UUID], frozen=True):
    data: list[UUID]


@pytest.fixture
def codec() -> CursorCodec:
    return CursorCodec(secrets.token_bytes(32))


async def test_a_compound_keyset_pages_through_every_row_once_through_cursors(
    database_url: str, codec: CursorCodec
) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(CREATE)
        base = datetime(2026, 1, 1, tzinfo=UTC)
        # Groups of rows sharing a timestamp: the id must break the ties across pages.
        rows = [(new_id(), base + timedelta(seconds=index // 4)) for index in range(23)]
        await connection.executemany("INSERT INTO likes (id, liked_at) VALUES ($1, $2)", rows)

        seen: list[UUID] = []
        cursor = ""
        for _ in range(10):
            pagination = codec.paginate("/likes", scope="likes", limit=5, cursor=cursor, keyset=LIKED_FIRST)
            page = pagination.request
            fetched = await connection.fetch(PAGE, *page.position, page.fetch_size)
            body = pagination.page(LikesPage, page.result(fetched, item=lambda row: row["id"]))
            seen += body.data
            if body.meta.next_cursor is None:
                assert body.links.next is None
                break
            assert body.links.next == f"/likes?limit=5&cursor={body.meta.next_cursor}"
            cursor = body.meta.next_cursor
    finally:
        await connection.close()

    expected = [row_id for row_id, _ in sorted(rows, key=lambda row: (row[1], row[0]), reverse=True)]
    assert seen == expected


def test_the_first_page_starts_beyond_every_key() -> None:
    page = PageRequest(limit=10, keyset=LIKED_FIRST)
    liked_at, last_id = page.position
    assert liked_at > datetime(9999, 1, 1, tzinfo=UTC)
    assert last_id == UUID(int=(1 << 128) - 1)
    assert page.fetch_size == 11
    assert PageRequest(limit=10).position == (UUID(int=(1 << 128) - 1),)


def test_a_cursor_holds_its_key_and_is_bound_to_its_list(codec: CursorCodec) -> None:
    key = (datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC), new_id())
    cursor = codec.encode(scope="likes", key=key)
    assert codec.decode(cursor, scope="likes", keyset=LIKED_FIRST) == key
    assert len(cursor) <= 128  # CursorParam's bound

    for scope, keyset in (("other", LIKED_FIRST), ("likes", NEWEST_FIRST)):
        with pytest.raises(InvalidInput) as refused:
            codec.decode(cursor, scope=scope, keyset=keyset)
        assert refused.value.code == "invalid_cursor"
    with pytest.raises(InvalidInput):
        CursorCodec(secrets.token_bytes(32)).decode(cursor, scope="likes", keyset=LIKED_FIRST)


def test_filters_bind_the_cursor_and_come_back_in_the_next_link(codec: CursorCodec) -> None:
    owner = new_id()
    pagination = codec.paginate("/avatars", scope="avatars", filters={"owner_id": owner}, limit=2, cursor="")
    body = pagination.page(LikesPage, pagination.request.result([], item=lambda row: row["id"]))
    assert body.meta.next_cursor is None
    assert body.links.next is None

    cursor = codec.encode(scope=f"avatars?owner_id={owner}", key=(new_id(),))
    continued = codec.paginate("/avatars", scope="avatars", filters={"owner_id": owner}, limit=2, cursor=cursor)
    assert continued.request.after is not None
    more = continued.page(LikesPage, continued.request.result([], item=lambda row: row["id"]))
    assert more.data == []
    with pytest.raises(InvalidInput):  # the same cursor without the filter it was made for
        codec.paginate("/avatars", scope="avatars", filters={"owner_id": None}, limit=2, cursor=cursor)


def test_keysets_take_only_keys_with_a_start() -> None:
    with pytest.raises(ValueError, match="name"):
        Keyset(name=str)
    with pytest.raises(ValueError, match="at least one"):
        Keyset()

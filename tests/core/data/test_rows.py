"""Rows map into Structs by column name, never by position."""

from __future__ import annotations

import asyncpg
import msgspec
import pytest

from src.core.data.rows import from_row


class Named(msgspec.Struct, frozen=True):
    id: int
    name: str


async def test_columns_map_by_name_in_any_order_and_extra_ones_are_ignored(database_url: str) -> None:
    connection = await asyncpg.connect(database_url)
    try:
        row = await connection.fetchrow("SELECT 'Ada' AS name, 7 AS extra, 1 AS id")
        lacking = await connection.fetchrow("SELECT 1 AS id")
    finally:
        await connection.close()
    assert row is not None
    assert lacking is not None

    assert from_row(Named, row) == Named(id=1, name="Ada")
    with pytest.raises(KeyError, match="name"):
        from_row(Named, lacking)

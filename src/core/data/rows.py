"""Rows into Structs, by column name.

`from_row(View, row)` fills each field of a msgspec Struct from the column of the same
name, so a query's column order does not matter and a column added to a query shifts
nothing. A column the Struct needs and the query lacks fails loudly (`KeyError` naming
it) the first time the query runs, which every slice's tests do. Extra columns are
ignored. Structs that nest (a view with its owner) map their columns by name by hand.
"""

from __future__ import annotations

import asyncpg
import msgspec

__all__ = ("from_row",)


def from_row[S: msgspec.Struct](struct: type[S], row: asyncpg.Record) -> S:
    return struct(*[row[name] for name in struct.__struct_fields__])

"""Identifiers: UUID v7 everywhere, so ids sort by creation time (keyset pagination, index locality)."""

from __future__ import annotations

import uuid

from uuid_utils import compat

__all__ = ("new_id",)


def new_id() -> uuid.UUID:
    """A new UUID v7 as the standard-library type that asyncpg and msgspec understand."""
    return compat.uuid7()

"""Time: always timezone-aware UTC (`timestamptz` columns, `...Z` on the wire)."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ("utc_now",)


def utc_now() -> datetime:
    return datetime.now(UTC)

from __future__ import annotations

import msgspec

__all__ = ("RefreshSession",)


class RefreshSession(msgspec.Struct, frozen=True, kw_only=True):
    refresh_token: str
    refresh_ttl_seconds: int
    reuse_grace_seconds: int
    """A repeat of a just-rotated token this soon gets its successor again (0: never)."""

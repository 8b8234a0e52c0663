from __future__ import annotations

import msgspec

__all__ = ("LogIn",)


class LogIn(msgspec.Struct, frozen=True, kw_only=True):
    email: str
    password: str
    user_agent: str | None
    """As sent; the handler keeps a printable, bounded copy for the session list."""
    refresh_ttl_seconds: int
    session_max_age_seconds: int

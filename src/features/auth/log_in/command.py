from __future__ import annotations

import msgspec

__all__ = ("LogIn",)


class LogIn(msgspec.Struct, frozen=True, kw_only=True):
    email: str
    password: str
    user_agent: str | None
    failure_limit: int
    """Failed logins allowed per account per window before the account answers 429."""
    failure_window_seconds: int
    refresh_ttl_seconds: int
    session_max_age_seconds: int

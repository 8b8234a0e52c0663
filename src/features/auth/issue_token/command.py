from __future__ import annotations

import msgspec

__all__ = ("IssueToken",)


class IssueToken(msgspec.Struct, frozen=True, kw_only=True):
    """The token request as sent (absent parameters are None), with what the grants need
    from the settings and the headers. `client_id` is not carried: it is ignored."""

    grant_type: str
    username: str | None
    password: str | None
    refresh_token: str | None
    mfa_token: str | None
    otp: str | None
    scope: str | None
    user_agent: str | None
    refresh_ttl_seconds: int
    session_max_age_seconds: int
    reuse_grace_seconds: int
    mfa_challenge_ttl_seconds: int
    mfa_challenge_max_attempts: int

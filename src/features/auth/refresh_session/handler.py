"""Refresh with a JSON body: the refresh grant (src/features/auth/refresh_grant.py holds
its rules: rotation, the grace window, reuse detection), shared with `POST /auth/token`."""

from __future__ import annotations

from src.core.data.database import Database
from src.core.security.tokens import TokenPair, TokenService
from src.features.auth.refresh_grant import rotate_refresh_token
from src.features.auth.refresh_session.command import RefreshSession

__all__ = ("refresh_session",)


async def refresh_session(command: RefreshSession, *, database: Database, tokens: TokenService) -> TokenPair:
    """A bad, expired or reused token: 401 `invalid_token`; a just-rotated one whose
    successor was used: 409 `refresh_token_rotated`."""
    return await rotate_refresh_token(command, database=database, tokens=tokens)

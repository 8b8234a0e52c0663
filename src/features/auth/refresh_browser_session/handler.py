"""Refresh a browser session: the refresh grant itself (src/features/auth/refresh_grant.py:
rotation, the grace window, reuse detection that revokes the session), fed from the cookie
instead of a body."""

from __future__ import annotations

from src.core.data.database import Database
from src.core.security.tokens import TokenPair, TokenService
from src.features.auth.refresh_browser_session.command import RefreshSession
from src.features.auth.refresh_grant import rotate_refresh_token

__all__ = ("refresh_browser_session",)


async def refresh_browser_session(command: RefreshSession, *, database: Database, tokens: TokenService) -> TokenPair:
    """A bad, expired or reused token: 401 `invalid_token`; a just-rotated one whose
    successor was used: 409 `refresh_token_rotated`."""
    return await rotate_refresh_token(command, database=database, tokens=tokens)

"""Refresh: spend a refresh token, get a new pair. Every refresh rotates.

A refresh token works once. Presenting a spent one again means it was copied (or the
client replayed it): the whole family, that is the session, is revoked, and both the
thief and the owner must log in again. Two concurrent refreshes with one token give
exactly one success: the spend is a single conditional UPDATE.

The handler manages its own transactions because the revocation must be committed even
though the request fails (an exception would roll back a request transaction).
"""

from __future__ import annotations

from datetime import timedelta

from src.core.clock import utc_now
from src.core.data.database import Database
from src.core.security.tokens import InvalidToken, TokenPair, TokenService, hash_refresh_token, new_refresh_token
from src.features.auth.refresh_session.command import RefreshSession
from src.features.auth.refresh_session.queries import (
    INSERT_REFRESH_TOKEN,
    REVOKE_FAMILY_FOR_REUSE,
    SELECT_ACTIVE_SESSION,
    SELECT_SPENT_TOKEN_SESSION,
    SPEND_REFRESH_TOKEN,
    TOUCH_SESSION,
)

__all__ = ("refresh_session",)

_REJECTED = "The refresh token is not valid; log in again."


async def refresh_session(command: RefreshSession, *, database: Database, tokens: TokenService) -> TokenPair:
    token_hash = hash_refresh_token(command.refresh_token)
    new_token = new_refresh_token()
    async with database.acquire() as connection:
        async with connection.transaction():
            session_id = await connection.fetchval(SPEND_REFRESH_TOKEN, token_hash)
            session = await connection.fetchrow(SELECT_ACTIVE_SESSION, session_id) if session_id else None
            if session is not None:
                expires_at = min(utc_now() + timedelta(seconds=command.refresh_ttl_seconds), session["expires_at"])
                await connection.execute(INSERT_REFRESH_TOKEN, hash_refresh_token(new_token), session_id, expires_at)
                await connection.execute(TOUCH_SESSION, session_id)
        if session is None:
            if session_id is None and (reused := await connection.fetchval(SELECT_SPENT_TOKEN_SESSION, token_hash)):
                await connection.execute(REVOKE_FAMILY_FOR_REUSE, reused)
                raise InvalidToken("This refresh token was already used; the session is revoked. Log in again.")
            raise InvalidToken(_REJECTED)
    return TokenPair(
        access_token=tokens.issue(user_id=session["user_id"], session_id=session_id),
        expires_in=tokens.ttl_seconds,
        refresh_token=new_token,
        refresh_expires_in=max(int((expires_at - utc_now()).total_seconds()), 0),
    )

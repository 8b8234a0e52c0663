"""The refresh grant: spend a refresh token, get a new pair. Every refresh rotates.

Shared by `POST /auth/refresh` (JSON) and `POST /auth/token` with
`grant_type=refresh_token` (the OAuth 2 form): one token family, one set of rules.

A refresh token works once. Presenting a spent one again means it was copied (or the
client replayed it): the whole family, that is the session, is revoked, and both the
thief and the owner must log in again. Two concurrent refreshes with one token give
exactly one rotation: the spend is a single conditional UPDATE.

Except within a short grace window (`REFRESH_REUSE_GRACE_SECONDS`, 10 s): two browser
tabs refreshing at once, or a client retrying after a timeout, present the token that
was just rotated again, and revoking the session then logged honest users out (the
winner's new tokens were dead on arrival). A repeat within the window gets the same
successor refresh token (sealed in the spent row; see `TokenService.seal`) and a fresh
access token, and revokes nothing. After the window, reuse revokes the family as before.

The function manages its own transactions because the revocation must be committed even
though the request fails (an exception would roll back a request transaction).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

import msgspec

from src.core.clock import utc_now
from src.core.data.database import Connection, Database
from src.core.errors import Conflict
from src.core.security.tokens import InvalidToken, TokenPair, TokenService, hash_refresh_token, new_refresh_token

__all__ = ("RefreshSession", "rotate_refresh_token")


class RefreshSession(msgspec.Struct, frozen=True, kw_only=True):
    refresh_token: str
    refresh_ttl_seconds: int
    reuse_grace_seconds: int
    """A repeat of a just-rotated token this soon gets its successor again (0: never)."""


# Spends the token: of two concurrent uses, only one finds used_at still NULL (the other
# waits for the row lock, then finds it set). The successor is sealed into the same row,
# for a repeat within the grace window.
SPEND_REFRESH_TOKEN: Final = """
UPDATE refresh_tokens
SET used_at = now(), successor_sealed = $2
WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now()
RETURNING session_id
"""

# A token that was spent already: when, and what it was rotated into.
SELECT_SPENT_TOKEN: Final = """
SELECT session_id, used_at > now() - make_interval(secs => $2) AS within_grace, successor_sealed
FROM refresh_tokens
WHERE token_hash = $1 AND used_at IS NOT NULL
"""

# The successor handed out again within the grace window: still unspent, still valid,
# its session and account still alive.
SELECT_LIVE_SUCCESSOR: Final = """
SELECT s.user_id, t.expires_at
FROM refresh_tokens t
JOIN sessions s ON s.id = t.session_id
JOIN users u ON u.id = s.user_id
WHERE t.token_hash = $1 AND t.session_id = $2 AND t.used_at IS NULL AND t.expires_at > now()
  AND s.revoked_at IS NULL AND s.expires_at > now() AND u.deleted_at IS NULL AND u.suspended_at IS NULL
"""

REVOKE_FAMILY_FOR_REUSE: Final = """
UPDATE sessions
SET revoked_at = now(), revoked_reason = 'refresh_token_reuse'
WHERE id = $1 AND revoked_at IS NULL
"""

# The session must still be alive, and its account too; locks it against a racing revoke.
SELECT_ACTIVE_SESSION: Final = """
SELECT s.user_id, s.expires_at
FROM sessions s
JOIN users u ON u.id = s.user_id
WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.deleted_at IS NULL AND u.suspended_at IS NULL
FOR UPDATE OF s
"""

TOUCH_SESSION: Final = """
UPDATE sessions SET last_used_at = now() WHERE id = $1
"""

INSERT_REFRESH_TOKEN: Final = """
INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
VALUES ($1, $2, $3)
"""

_REJECTED: Final = "The refresh token is not valid; log in again."


async def rotate_refresh_token(command: RefreshSession, *, database: Database, tokens: TokenService) -> TokenPair:
    token_hash = hash_refresh_token(command.refresh_token)
    new_token = new_refresh_token()
    async with database.acquire() as connection:
        async with connection.transaction():
            sealed = tokens.seal(new_token, bound_to=token_hash)
            session_id = await connection.fetchval(SPEND_REFRESH_TOKEN, token_hash, sealed)
            session = await connection.fetchrow(SELECT_ACTIVE_SESSION, session_id) if session_id else None
            if session is not None:
                expires_at = min(utc_now() + timedelta(seconds=command.refresh_ttl_seconds), session["expires_at"])
                await connection.execute(INSERT_REFRESH_TOKEN, hash_refresh_token(new_token), session_id, expires_at)
                await connection.execute(TOUCH_SESSION, session_id)
        if session is None:
            if session_id is None:
                return await _spent_already(command, token_hash, connection=connection, tokens=tokens)
            raise InvalidToken(_REJECTED)
    return _pair(
        tokens, user_id=session["user_id"], session_id=session_id, refresh_token=new_token, expires_at=expires_at
    )


async def _spent_already(
    command: RefreshSession, token_hash: bytes, *, connection: Connection, tokens: TokenService
) -> TokenPair:
    """Unknown, expired, or spent: a repeat within the grace window gets its successor
    again; any other reuse of a spent token revokes its session."""
    spent = await connection.fetchrow(SELECT_SPENT_TOKEN, token_hash, command.reuse_grace_seconds)
    if spent is None:
        raise InvalidToken(_REJECTED)
    if spent["within_grace"]:
        successor = tokens.unseal(spent["successor_sealed"], bound_to=token_hash) if spent["successor_sealed"] else None
        live = successor and await connection.fetchrow(
            SELECT_LIVE_SUCCESSOR, hash_refresh_token(successor), spent["session_id"]
        )
        if successor and live:
            return _pair(
                tokens,
                user_id=live["user_id"],
                session_id=spent["session_id"],
                refresh_token=successor,
                expires_at=live["expires_at"],
            )
        # Rotated again meanwhile (or the session ended): nothing to hand out, nothing revoked.
        raise Conflict(
            "This refresh token was just rotated, and its successor already used; use your newest tokens.",
            code="refresh_token_rotated",
        )
    await connection.execute(REVOKE_FAMILY_FOR_REUSE, spent["session_id"])
    raise InvalidToken("This refresh token was already used; the session is revoked. Log in again.")


def _pair(
    tokens: TokenService, *, user_id: UUID, session_id: UUID, refresh_token: str, expires_at: datetime
) -> TokenPair:
    return TokenPair(
        access_token=tokens.issue(user_id=user_id, session_id=session_id),
        expires_in=tokens.ttl_seconds,
        refresh_token=refresh_token,
        refresh_expires_in=max(int((expires_at - utc_now()).total_seconds()), 0),
    )

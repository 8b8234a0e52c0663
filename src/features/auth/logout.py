"""Logging out: end the session (the whole refresh-token family) a refresh token belongs to.

Shared by `POST /auth/logout` (the token in the JSON body) and `POST /auth/browser/logout`
(the token in the browser session's cookie): one rule for both. An unknown token, or a
session already ended, changes nothing and is not an error: the caller learns nothing
about which tokens exist.
"""

from __future__ import annotations

from typing import Final

from src.core.data.database import Connection
from src.core.security.tokens import hash_refresh_token

__all__ = ("end_session_of",)

REVOKE_SESSION_OF: Final = """
UPDATE sessions
SET revoked_at = now(), revoked_reason = 'logout'
WHERE id = (SELECT session_id FROM refresh_tokens WHERE token_hash = $1) AND revoked_at IS NULL
"""


async def end_session_of(refresh_token: str, *, transaction: Connection) -> None:
    await transaction.execute(REVOKE_SESSION_OF, hash_refresh_token(refresh_token))

"""Log out: end the session (the whole refresh-token family) the token belongs to.

Always succeeds from the caller's point of view: an unknown or already ended session
answers the same, so the endpoint tells nothing about which tokens exist.
"""

from __future__ import annotations

from src.core.data.database import Connection
from src.core.security.tokens import hash_refresh_token
from src.features.auth.log_out.command import LogOut
from src.features.auth.log_out.queries import REVOKE_SESSION_OF_TOKEN

__all__ = ("log_out",)


async def log_out(command: LogOut, *, transaction: Connection) -> None:
    await transaction.execute(REVOKE_SESSION_OF_TOKEN, hash_refresh_token(command.refresh_token))

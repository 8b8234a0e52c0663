"""Log out: end the session (the whole refresh-token family) the token belongs to.

Always succeeds from the caller's point of view: an unknown or already ended session
answers the same, so the endpoint tells nothing about which tokens exist. The rule is
shared with the browser logout (src/features/auth/logout.py).
"""

from __future__ import annotations

from src.core.data.database import Connection
from src.features.auth.log_out.command import LogOut
from src.features.auth.logout import end_session_of

__all__ = ("log_out",)


async def log_out(command: LogOut, *, transaction: Connection) -> None:
    await end_session_of(command.refresh_token, transaction=transaction)

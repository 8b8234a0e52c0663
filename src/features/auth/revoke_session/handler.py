from __future__ import annotations

from src.core.data.database import Connection
from src.core.errors import NotFound
from src.features.auth.revoke_session.command import RevokeSession
from src.features.auth.revoke_session.queries import REVOKE_OWN_SESSION

__all__ = ("revoke_session",)


async def revoke_session(command: RevokeSession, *, transaction: Connection) -> None:
    """End one of the caller's sessions; someone else's is as invisible as a missing one."""
    if await transaction.fetchval(REVOKE_OWN_SESSION, command.session_id, command.user_id) is None:
        raise NotFound("You have no session with this id.")

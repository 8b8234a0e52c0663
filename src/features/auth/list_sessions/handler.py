from __future__ import annotations

from src.core.database import Connection
from src.core.pagination import split_page
from src.features.auth.list_sessions.command import ListSessions
from src.features.auth.list_sessions.queries import SELECT_ACTIVE_SESSIONS
from src.features.auth.list_sessions.schema import SessionView

__all__ = ("list_sessions",)


async def list_sessions(command: ListSessions, *, connection: Connection) -> tuple[list[SessionView], bool]:
    """The caller's live sessions, newest first: (this page, whether more exist)."""
    rows = await connection.fetch(
        SELECT_ACTIVE_SESSIONS,
        command.user_id,
        command.current_session_id,
        command.page.after,
        command.page.limit + 1,
    )
    return split_page([SessionView(*row) for row in rows], command.page.limit)

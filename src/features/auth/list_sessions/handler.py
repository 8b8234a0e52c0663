from __future__ import annotations

from src.core.data.database import Connection
from src.core.data.pagination import PageResult
from src.core.data.rows import from_row
from src.features.auth.list_sessions.command import ListSessions
from src.features.auth.list_sessions.queries import SELECT_ACTIVE_SESSIONS
from src.features.auth.list_sessions.schema import SessionView

__all__ = ("list_sessions",)


async def list_sessions(command: ListSessions, *, connection: Connection) -> PageResult[SessionView]:
    """The caller's live sessions, newest first."""
    page = command.page
    rows = await connection.fetch(
        SELECT_ACTIVE_SESSIONS, command.user_id, command.current_session_id, *page.position, page.fetch_size
    )
    return page.result(rows, item=lambda row: from_row(SessionView, row))

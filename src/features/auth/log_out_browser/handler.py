"""Log a browser out: end the session of its cookie's refresh token, by the rule `/logout`
follows (src/features/auth/logout.py): an unknown or ended session changes nothing."""

from __future__ import annotations

from src.core.data.database import Connection
from src.features.auth.log_out_browser.command import LogOutBrowser
from src.features.auth.logout import end_session_of

__all__ = ("log_out_browser",)


async def log_out_browser(command: LogOutBrowser, *, transaction: Connection) -> None:
    await end_session_of(command.refresh_token, transaction=transaction)

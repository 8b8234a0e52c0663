"""Clean-up: expired refresh tokens and long-ended sessions are deleted, in batches."""

from __future__ import annotations

from typing import Final

from src.core.runtime.jobs import JobContext
from src.features.auth.expire_sessions.queries import DELETE_ENDED_SESSIONS, DELETE_EXPIRED_REFRESH_TOKENS

__all__ = ("expire_sessions",)

BATCH: Final = 1000


async def expire_sessions(context: JobContext) -> int:
    tokens = await context.database.execute_in_batches(DELETE_EXPIRED_REFRESH_TOKENS, batch=BATCH)
    return tokens + await context.database.execute_in_batches(DELETE_ENDED_SESSIONS, batch=BATCH)

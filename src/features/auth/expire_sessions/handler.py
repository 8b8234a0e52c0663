"""Clean-up: expired refresh tokens and long-ended sessions are deleted, in batches."""

from __future__ import annotations

from typing import Final

from src.core.jobs import JobContext
from src.features.auth.expire_sessions.queries import DELETE_ENDED_SESSIONS, DELETE_EXPIRED_REFRESH_TOKENS

__all__ = ("expire_sessions",)

BATCH: Final = 1000


async def expire_sessions(context: JobContext) -> int:
    deleted = 0
    for query in (DELETE_EXPIRED_REFRESH_TOKENS, DELETE_ENDED_SESSIONS):
        while True:
            async with context.database.acquire() as connection:
                status = await connection.execute(query, BATCH)
            count = int(status.rsplit(" ", 1)[-1])
            deleted += count
            if count < BATCH:
                break
    return deleted

"""Clean-up: challenges of the login's second step, an hour after they expired, in batches."""

from __future__ import annotations

from typing import Final

from src.core.runtime.jobs import JobContext
from src.features.auth.expire_mfa_challenges.queries import DELETE_ENDED_CHALLENGES

__all__ = ("expire_mfa_challenges",)

BATCH: Final = 1000


async def expire_mfa_challenges(context: JobContext) -> int:
    return await context.database.execute_in_batches(DELETE_ENDED_CHALLENGES, batch=BATCH)

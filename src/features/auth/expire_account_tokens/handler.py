"""Clean-up: account tokens (verification, reset) long expired or used are deleted."""

from __future__ import annotations

from typing import Final

from src.core.runtime.jobs import JobContext
from src.features.auth.expire_account_tokens.queries import DELETE_OLD_TOKENS

__all__ = ("expire_account_tokens",)

BATCH: Final = 1000


async def expire_account_tokens(context: JobContext) -> int:
    return await context.database.execute_in_batches(DELETE_OLD_TOKENS, batch=BATCH)

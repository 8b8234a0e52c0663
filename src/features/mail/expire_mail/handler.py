"""Forget sent and given-up messages older than MAIL_RETENTION_DAYS."""

from __future__ import annotations

from typing import Final

from src.core.runtime.jobs import JobContext
from src.features.mail.expire_mail.queries import DELETE_FINISHED

__all__ = ("expire_mail",)

BATCH: Final = 1000


async def expire_mail(context: JobContext) -> int:
    return await context.database.execute_in_batches(DELETE_FINISHED, context.settings.mail_retention_days, batch=BATCH)

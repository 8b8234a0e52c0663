"""Readiness: can this worker serve traffic now?

One round trip proves both checks: reading the applied migrations needs a pooled
connection (the database answers) and tells whether this release's schema is in place.
Failures are the expected outcome being measured here, so they become check results,
not errors.
"""

from __future__ import annotations

import asyncio

from src.core.database import DATABASE_UNAVAILABLE_ERRORS, Database
from src.core.errors import ServiceUnavailable
from src.core.migrations import pending_migrations
from src.features.health.check_readiness.command import CheckReadiness
from src.features.health.check_readiness.schema import CheckResult

__all__ = ("Readiness", "check_readiness")

type Readiness = dict[str, CheckResult]

_UNAVAILABLE: tuple[type[Exception], ...] = (ServiceUnavailable, OSError, *DATABASE_UNAVAILABLE_ERRORS)


async def check_readiness(command: CheckReadiness, *, database: Database) -> Readiness:
    try:
        async with asyncio.timeout(command.timeout), database.acquire(timeout=command.timeout) as connection:
            pending = await pending_migrations(connection, command.migrations)
    except TimeoutError:
        return {"database": "timeout", "migrations": "not_started"}
    except _UNAVAILABLE:
        return {"database": "unavailable", "migrations": "not_started"}
    return {"database": "ok", "migrations": "pending" if pending else "ok"}

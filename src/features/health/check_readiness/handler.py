"""Readiness: can this worker serve traffic now?

One round trip proves two checks: reading the applied migrations needs a pooled
connection (the database answers) and tells whether this release's schema is in place.
Redis, when configured, is pinged in parallel; it fails readiness only when
READINESS_REQUIRES_REDIS is set, because without it the service still serves (rate
limits fall back to per-worker counters) and failing every instance at once would turn a
Redis outage into a full one. Failures are what is being measured here, so they become
check results, not errors.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from src.core.data.database import DATABASE_UNAVAILABLE_ERRORS, Database
from src.core.data.migrations import pending_migrations
from src.core.errors import ServiceUnavailable
from src.features.health.check_readiness.command import CheckReadiness
from src.features.health.check_readiness.schema import CheckResult

if TYPE_CHECKING:
    from redis.asyncio import Redis

__all__ = ("Readiness", "check_readiness", "is_ready")

type Readiness = dict[str, CheckResult]

_UNAVAILABLE: tuple[type[Exception], ...] = (ServiceUnavailable, OSError, *DATABASE_UNAVAILABLE_ERRORS)


async def check_readiness(command: CheckReadiness, *, database: Database, redis: Redis | None) -> Readiness:
    if redis is None:
        return await _check_database(command, database)
    database_checks, redis_check = await asyncio.gather(
        _check_database(command, database), _check_redis(command, redis)
    )
    return {**database_checks, "redis": redis_check}


def is_ready(command: CheckReadiness, checks: Readiness) -> bool:
    required = {name: result for name, result in checks.items() if name != "redis" or command.redis_required}
    return all(result == "ok" for result in required.values())


async def _check_database(command: CheckReadiness, database: Database) -> Readiness:
    try:
        async with asyncio.timeout(command.timeout), database.acquire(timeout=command.timeout) as connection:
            pending = await pending_migrations(connection, command.migrations)
    except TimeoutError:
        return {"database": "timeout", "migrations": "not_started"}
    except _UNAVAILABLE:
        return {"database": "unavailable", "migrations": "not_started"}
    return {"database": "ok", "migrations": "pending" if pending else "ok"}


async def _check_redis(command: CheckReadiness, redis: Redis) -> CheckResult:
    from src.core.runtime.redis import redis_answers  # noqa: PLC0415 - the redis library loads only with REDIS_URL

    try:
        async with asyncio.timeout(command.timeout):
            return "ok" if await redis_answers(redis) else "unavailable"
    except TimeoutError:
        return "timeout"

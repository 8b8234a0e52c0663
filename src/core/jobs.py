"""Periodic background jobs (clean-ups and the like), run by the lifespan in every worker.

A feature declares a job as a slice (a handler and its queries) and lists it in its
`JOBS`; `src.app` passes them to `create_app`. Jobs must be safe to run concurrently in
several workers and instances (bounded, idempotent statements such as batched DELETEs).
A failing run is logged and the job carries on at its next interval.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable

import msgspec

from src.core.database import Database
from src.core.logging import get_logger

__all__ = ("PeriodicJob", "run_periodically")

log = get_logger(component="jobs")


class PeriodicJob(msgspec.Struct, frozen=True):
    name: str
    interval_seconds: float
    run: Callable[[Database], Awaitable[int]]
    """Does one round of work; returns how many items it handled (for the log)."""


async def run_periodically(job: PeriodicJob, database: Database) -> None:
    # Jitter, so workers and instances started together do not run in lockstep.
    await asyncio.sleep(random.uniform(0, job.interval_seconds))  # noqa: S311 - not security
    while True:
        try:
            handled = await job.run(database)
        except Exception:
            log.exception("job_failed", job=job.name)
        else:
            if handled:
                log.info("job_done", job=job.name, handled=handled)
        await asyncio.sleep(job.interval_seconds)

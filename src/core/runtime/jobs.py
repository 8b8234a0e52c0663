"""Background jobs run by the lifespan in every worker: clean-ups, webhook dispatch.

A feature declares a job as a slice (a handler and its queries) and lists it in its
`JOBS`; `src.app` passes them to `create_app`. Each job runs every `interval_seconds`
(or the interval a setting names), and sooner when PostgreSQL sends a NOTIFY on one of
its `wake_on` channels. After a round that handled something, a woken job runs again at
once (there may be more). A failing round is logged; the job carries on.

Jobs must be safe to run concurrently in several workers and instances: bounded,
idempotent statements, and `FOR UPDATE SKIP LOCKED` to share work.

The NOTIFY listener uses a connection of its own (LISTEN is session state; it never
goes back to the pool) and reconnects by itself after a database restart; polling
covers the gap.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import asyncpg
import msgspec

from src.core.data.database import DATABASE_UNAVAILABLE_ERRORS, Database
from src.core.errors import ServiceUnavailable
from src.core.observability.logging import get_logger
from src.core.security.outbound import OutboundGuard
from src.core.settings import Settings

if TYPE_CHECKING:
    from src.core.observability.tracing import Tracing
    from src.core.runtime.mail import Mailer

__all__ = ("JobContext", "JobRunner", "PeriodicJob")

log = get_logger(component="jobs")

_RECONNECT_SECONDS: Final = 2.0
_CONNECTION_ERRORS: Final[tuple[type[Exception], ...]] = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    *DATABASE_UNAVAILABLE_ERRORS,
)


def _database_went_away(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return all(_database_went_away(inner) for inner in exc.exceptions)
    return isinstance(exc, (*_CONNECTION_ERRORS, ServiceUnavailable))


class JobContext(msgspec.Struct, frozen=True, kw_only=True):
    """What a job round may use: the worker's shared resources."""

    settings: Settings
    database: Database
    http: aiohttp.ClientSession
    outbound: OutboundGuard
    tracing: Tracing | None = None
    """The process's tracing, when it is on: each round is a trace of its own."""
    mail: Mailer | None = None
    """What sends the mail outbox's messages (the deliver-mail job)."""
    wake: asyncio.Event | None = None
    """Set when a NOTIFY on the job's `wake_on` channels arrives: a long round may watch it
    (and clear it before it looks for work)."""


class PeriodicJob(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    run: Callable[[JobContext], Awaitable[int]]
    """One round of work; returns how many items it handled."""
    interval_seconds: float | Callable[[Settings], float]
    """Seconds between rounds, or how to read them from the settings
    (`lambda settings: settings.webhook_poll_seconds`): typed, so a renamed setting fails the type check."""
    wake_on: tuple[str, ...] = ()
    """NOTIFY channels that start a round before the interval ends."""
    enabled: Callable[[Settings], bool] | None = None
    """Whether this process runs the job (`lambda settings: settings.webhook_dispatcher_enabled`);
    always when None."""

    def interval(self, settings: Settings) -> float:
        interval = self.interval_seconds
        return float(interval(settings) if callable(interval) else interval)

    def runs_with(self, settings: Settings) -> bool:
        return self.enabled is None or self.enabled(settings)


class JobRunner:
    """Runs the jobs of one worker; `start` spawns their tasks into the given set."""

    __slots__ = ("_context", "_dsn", "_jobs", "_wakers")

    def __init__(self, jobs: Sequence[PeriodicJob], context: JobContext, dsn: str) -> None:
        self._context = context
        self._dsn = dsn
        self._jobs = [job for job in jobs if job.runs_with(context.settings)]
        self._wakers: dict[str, list[asyncio.Event]] = {}

    def start(self, spawn: Callable[..., Any]) -> None:
        for job in self._jobs:
            wake = asyncio.Event()
            for channel in job.wake_on:
                self._wakers.setdefault(channel, []).append(wake)
            context = msgspec.structs.replace(self._context, wake=wake)
            spawn(self._run(job, context, wake), name=f"job:{job.name}")
        if self._wakers:
            spawn(self._listen(), name="jobs:listen")

    async def _run(self, job: PeriodicJob, context: JobContext, wake: asyncio.Event) -> None:
        interval = job.interval(self._context.settings)
        # Jitter, so workers and instances started together do not run in lockstep.
        await self._wait(wake, random.uniform(0, interval) if not job.wake_on else 0)  # noqa: S311 - not security
        while True:
            wake.clear()
            try:
                handled = await self._round(job, context)
            except Exception as exc:
                if _database_went_away(exc):  # an outage or a failover: the next round tries again
                    log.warning("job_interrupted", job=job.name, error=_error_name(exc))
                else:
                    log.exception("job_failed", job=job.name)
                handled = 0
            if handled and job.wake_on:
                continue
            await self._wait(wake, interval)

    @staticmethod
    async def _round(job: PeriodicJob, context: JobContext) -> int:
        tracing = context.tracing
        if tracing is None:
            return await job.run(context)
        with tracing.job_round(job.name) as span:
            handled = await job.run(context)
            span.set_attribute("job.items", handled)
        return handled

    @staticmethod
    async def _wait(wake: asyncio.Event, seconds: float) -> None:
        try:
            async with asyncio.timeout(seconds):
                await wake.wait()
        except TimeoutError:
            return

    def _notified(self, _connection: Any, _pid: int, channel: str, _payload: object) -> None:
        for wake in self._wakers.get(channel, ()):
            wake.set()

    async def _listen(self) -> None:
        while True:
            closed = asyncio.Event()
            try:
                connection = await asyncpg.connect(
                    self._dsn,
                    timeout=self._context.settings.db_connect_timeout,
                    server_settings={"application_name": "avatar-api-jobs"},
                )
            except _CONNECTION_ERRORS:
                await asyncio.sleep(_RECONNECT_SECONDS)
                continue
            try:
                connection.add_termination_listener(lambda _, lost=closed: lost.set())
                for channel in self._wakers:
                    await connection.add_listener(channel, self._notified)
                # Nothing was heard while disconnected: every woken job looks now.
                for wakes in self._wakers.values():
                    for wake in wakes:
                        wake.set()
                await closed.wait()
                log.warning("job_listener_lost", retry_in_s=_RECONNECT_SECONDS)
            except _CONNECTION_ERRORS:
                await asyncio.sleep(_RECONNECT_SECONDS)
            finally:
                if not connection.is_closed():
                    await connection.close(timeout=self._context.settings.db_connect_timeout)


def _error_name(exc: BaseException) -> str:
    """`TimeoutError`; for a task group's failure, what failed in it: `ExceptionGroup(TimeoutError)`."""
    if isinstance(exc, BaseExceptionGroup):
        inner = sorted({_error_name(each) for each in exc.exceptions})
        return f"{type(exc).__name__}({', '.join(inner)})"
    return type(exc).__name__

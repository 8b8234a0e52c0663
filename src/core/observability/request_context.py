"""The id of the request being served, for whatever runs on its behalf, and the seam where
the trace it belongs to is read.

The edge binds the request id for the duration of each request; log lines (see
`core.observability.logging`), problem bodies, outbox events and outbound calls read it.
A plain ContextVar: tasks spawned while serving a request inherit it, and nothing else
sees it.

`current_trace()` is where log lines, problem bodies and the outbox ask for the trace and
span ids of the work being done. It answers None unless tracing is on: then
`core.observability.tracing` registers where they come from (`set_trace_source`: the
current OpenTelemetry span). This module stays free of OpenTelemetry, whose import alone
costs 60 ms of start-up that a service without tracing does not pay.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from contextvars import ContextVar, Token
from typing import Final, NamedTuple

from src.core.settings import SettingsError

__all__ = (
    "REQUEST_ID_HEADER",
    "TraceIds",
    "bind_client",
    "bind_request_id",
    "current_client",
    "current_request_id",
    "current_trace",
    "record_exception",
    "set_trace_source",
    "traceparent",
    "unbind_client",
    "unbind_request_id",
)

REQUEST_ID_HEADER: Final = "x-request-id"
_OTLP_ENDPOINTS: Final = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
_OTLP_PROTOCOL: Final = "http/protobuf"
_OTLP_PROTOCOLS: Final = ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# Who the request is for, as the edge tells clients apart: a hash of the credentials sent,
# else the client address. The database's waiting line gives each client its own place in
# turn (`core.data.waiting_line`). None: no request (a background job).
_client: ContextVar[Hashable] = ContextVar("client", default=None)


class TraceIds(NamedTuple):
    """W3C Trace Context ids as lower-case hex: 32 digits for the trace, 16 for the span."""

    trace_id: str
    span_id: str
    sampled: bool
    state: str = ""
    """The `tracestate` header's value (vendors' entries), empty when there is none."""


type TraceSource = Callable[[], TraceIds | None]
type ExceptionSink = Callable[[BaseException], None]

_trace_source: TraceSource | None = None
_exception_sink: ExceptionSink | None = None


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(request_id: str) -> Token[str | None]:
    return _request_id.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


def current_client() -> Hashable:
    return _client.get()


def bind_client(client: Hashable) -> Token[Hashable]:
    """Set for the rest of the request (the edge resets it with the token it got)."""
    return _client.set(client)


def unbind_client(token: Token[Hashable]) -> None:
    _client.reset(token)


def set_trace_source(source: TraceSource | None, *, record_exception: ExceptionSink | None = None) -> None:
    """Where the current trace and span ids come from (None: no tracing, the default), and
    where an unexpected exception is reported to the current span. Set once per process,
    before serving; the source is called for every log line."""
    global _trace_source, _exception_sink  # noqa: PLW0603 - one per process, like the logging configuration
    _trace_source = source
    _exception_sink = record_exception if source is not None else None


def record_exception(exc: BaseException) -> None:
    """Tell the current span (if any) about an exception that became a 500."""
    sink = _exception_sink
    if sink is not None:
        sink(exc)


def traceparent(trace: TraceIds) -> str:
    """The W3C `traceparent` header value of a span (version 00)."""
    return f"00-{trace.trace_id}-{trace.span_id}-{'01' if trace.sampled else '00'}"


def current_trace() -> TraceIds | None:
    """The trace and span of the work being done, or None (no tracing, or outside a span)."""
    source = _trace_source
    return source() if source is not None else None


def tracing_requested(environ: Mapping[str, str]) -> bool:
    """Whether the environment asks for tracing (`core.observability.tracing`): an OTLP
    endpoint, with the SDK not disabled (OTEL_SDK_DISABLED) nor its exporter (OTEL_TRACES_EXPORTER=none).
    Raises SettingsError for what would not work: a protocol other than OTLP/HTTP with
    protobuf, an exporter other than OTLP."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() or "otlp"
    if exporter == "none":
        return False
    if not any(environ.get(name, "").strip() for name in _OTLP_ENDPOINTS):
        return False
    if exporter != "otlp":
        raise SettingsError(f"OTEL_TRACES_EXPORTER={exporter} is not supported: traces are sent over OTLP (otlp)")
    for name in _OTLP_PROTOCOLS:
        protocol = environ.get(name, "").strip()
        if protocol and protocol != _OTLP_PROTOCOL:
            raise SettingsError(
                f"{name}={protocol} is not supported: traces are sent as {_OTLP_PROTOCOL} "
                "(point OTEL_EXPORTER_OTLP_ENDPOINT at the collector's OTLP/HTTP port, 4318)"
            )
    return True

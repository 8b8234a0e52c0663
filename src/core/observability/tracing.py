"""Tracing with OpenTelemetry, exported over OTLP/HTTP; off unless an endpoint is configured.

Configured by the standard variables, read by the OpenTelemetry SDK itself:
`OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`; with neither,
tracing is off and this module is never imported, see `request_context.tracing_requested`:
the SDK costs 0.2 s of start-up),
`OTEL_SERVICE_NAME` (default `avatar-api`), `OTEL_RESOURCE_ATTRIBUTES`,
`OTEL_TRACES_SAMPLER` and `OTEL_TRACES_SAMPLER_ARG` (default `parentbased_always_on`),
`OTEL_EXPORTER_OTLP_HEADERS`, `OTEL_EXPORTER_OTLP_TIMEOUT`, `OTEL_BSP_*`;
`OTEL_SDK_DISABLED=true` turns it off again. Propagation is W3C Trace Context
(`traceparent`, `tracestate`).

One `Tracing` per worker process (`start_tracing`, from `src.app.app_from_env`); spans
are batched and sent from the SDK's own thread, never from the event loop. What is traced:

- every HTTP request, as a server span named `{method} {route}` (the route template,
  never the raw path with its ids), continuing the caller's `traceparent`: see
  `start_server_span`;
- every statement on a pooled PostgreSQL connection, as a client span named
  `{operation} {table}` with the statement's text (parameterised: `$1`, never the
  values), from asyncpg's query logger: see `record_query`;
- Redis calls and outbound HTTP (the caller wraps them in `client_span`; outbound calls
  carry our `traceparent`);
- background work: each job round starts a trace of its own (`job_round`); work that
  continues a request's trace elsewhere (a webhook delivery, from the trace context the
  outbox row kept) is `continued`, linked to the round that does it.

The rest of the kernel reaches the current trace through `core.observability.request_context`
(log lines, problem bodies, the outbox), which knows nothing of OpenTelemetry.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any, Final, Protocol

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import Link, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from src.core.observability.request_context import TraceIds, set_trace_source

if TYPE_CHECKING:
    from contextvars import Token

    from opentelemetry.context import Context
    from opentelemetry.trace import Span

__all__ = ("IdleRoundsDropped", "Tracing", "start_tracing")

_SERVICE_NAME: Final = "avatar-api"
_TRACEPARENT: Final = b"traceparent"
_TRACESTATE: Final = b"tracestate"
# Longer headers are ignored (not continued) without a log line: the W3C limits are 55
# characters for version 00 of traceparent and 512 for tracestate.
_TRACEPARENT_MAX: Final = 256
_TRACESTATE_MAX: Final = 512
# RFC 9110's methods; any other is `_OTHER` (semantic conventions), so names stay bounded.
_KNOWN_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
_FIRST_SERVER_ERROR: Final = 500
_CLIENT_CLOSED: Final = 499
_QUERY_TEXT_MAX: Final = 2048
_JOB_NAME: Final = "job.name"
_JOB_ITEMS: Final = "job.items"
# Spans of one job round held until the round ends; beyond this, they are passed on at once.
_HELD_PER_ROUND: Final = 256
_STATEMENT: Final = re.compile(
    r"""\A\s*(?:--[^\n]*\n\s*)*          # leading comment lines
        (?P<operation>[A-Za-z]+)          # SELECT, INSERT, WITH, BEGIN...
    """,
    re.VERBOSE,
)
# The statement a WITH query ends in starts a line of its own (our SQL's layout).
_MAIN_STATEMENT: Final = re.compile(r"^(SELECT|INSERT|UPDATE|DELETE)\b", re.MULTILINE)
# What a statement changes: not `FOR UPDATE` (a lock) nor `DO UPDATE SET` (an upsert's own table).
_CHANGE: Final = re.compile(
    r"(?<!FOR )(?<!DO )\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(?!SET\b)([A-Za-z_][A-Za-z0-9_.]*)", re.IGNORECASE
)
_TARGET: Final = re.compile(r"\b(?:FROM|INTO|UPDATE|TABLE)\s+(?P<table>[A-Za-z_][A-Za-z0-9_.]*)", re.IGNORECASE)
_DB_SYSTEM: Final = "postgresql"


def _service_version() -> str:
    try:
        return version("avatar-api")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


def _resource() -> Resource:
    """Ours by default; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES win."""
    defaults: dict[str, Any] = {
        "service.name": _SERVICE_NAME,
        "service.version": _service_version(),
        # Several workers and instances: each process is one instance (the pod's name, in Kubernetes).
        "service.instance.id": f"{socket.gethostname()}:{os.getpid()}",
        "process.pid": os.getpid(),
    }
    from_environment = OTELResourceDetector().detect()
    return Resource.create({**defaults, **dict(from_environment.attributes)})


def start_tracing() -> Tracing:
    """This process's tracing, from the OTEL_* environment (see the module docstring).
    Call once per worker process, after it started (the exporter's thread is per process),
    when `request_context.tracing_requested` says so."""
    provider = TracerProvider(resource=_resource())  # the sampler comes from OTEL_TRACES_SAMPLER
    provider.add_span_processor(IdleRoundsDropped(BatchSpanProcessor(OTLPSpanExporter())))
    tracing = Tracing(provider)
    set_trace_source(tracing.current_ids, record_exception=tracing.record_exception)
    return tracing


class QueryRecord(Protocol):
    """What asyncpg's query logger passes (`asyncpg.connection.LoggedQuery`)."""

    @property
    def query(self) -> str: ...
    @property
    def elapsed(self) -> float: ...
    @property
    def exception(self) -> BaseException | None: ...
    @property
    def conn_addr(self) -> Any: ...


class QueryLogging(Protocol):
    def add_query_logger(self, callback: Any) -> None: ...


class Tracing:
    """The process's tracer and the spans the kernel makes with it."""

    __slots__ = ("_propagator", "_provider", "tracer")

    def __init__(self, provider: TracerProvider) -> None:
        self._provider = provider
        self.tracer = provider.get_tracer("avatar-api", _service_version())
        self._propagator = TraceContextTextMapPropagator()

    # -- the request -----------------------------------------------------------------

    def start_server_span(self, scope: Mapping[str, Any], method: str) -> tuple[Span, Token[Context]]:
        """The request's server span, made current; `finish_server_span` ends it and the
        caller detaches the token after its last log line."""
        traceparent = tracestate = None
        for name, value in scope["headers"]:
            if name == _TRACEPARENT:
                traceparent = value
            elif name == _TRACESTATE:
                tracestate = value
        parent = self._parent(traceparent, tracestate)
        known = method if method in _KNOWN_METHODS else "_OTHER"
        attributes: dict[str, str] = {
            "http.request.method": known,
            "url.scheme": scope.get("scheme", "http"),
            "network.protocol.version": scope.get("http_version", "1.1"),
        }
        if known == "_OTHER":
            attributes["http.request.method_original"] = method[:16]
        span = self.tracer.start_span(
            "HTTP" if known == "_OTHER" else known, context=parent, kind=SpanKind.SERVER, attributes=attributes
        )
        return span, otel_context.attach(trace.set_span_in_context(span, parent))

    def _parent(self, traceparent: bytes | None, tracestate: bytes | None) -> Context | None:
        if traceparent is None or len(traceparent) > _TRACEPARENT_MAX:
            return None
        carrier = {"traceparent": traceparent.decode("latin-1")}
        if tracestate is not None and len(tracestate) <= _TRACESTATE_MAX:
            carrier["tracestate"] = tracestate.decode("latin-1")
        return self._propagator.extract(carrier)

    @staticmethod
    def finish_server_span(span: Span, method: str, route: str | None, status: int) -> None:
        if route is not None:
            span.set_attribute("http.route", route)
            if method in _KNOWN_METHODS:
                span.update_name(f"{method} {route}")
        if status != _CLIENT_CLOSED:  # 499: no response was sent
            span.set_attribute("http.response.status_code", status)
        if status >= _FIRST_SERVER_ERROR and status != _CLIENT_CLOSED:
            if not _has_attribute(span, "error.type"):
                span.set_attribute("error.type", str(status))
            span.set_status(Status(StatusCode.ERROR))
        span.end()

    @staticmethod
    def failed(span: Span, error_type: str) -> None:
        """The span's work failed (a bounded `error.type`: `timeout`, `http_5xx`...)."""
        span.set_attribute("error.type", error_type)
        span.set_status(Status(StatusCode.ERROR))

    @staticmethod
    def detach(token: Token[Context]) -> None:
        otel_context.detach(token)

    @staticmethod
    def current_ids() -> TraceIds | None:
        """The trace and span of the work being done, for log lines, problem bodies and
        the outbox (see core.observability.request_context)."""
        span_context = trace.get_current_span().get_span_context()
        if not span_context.is_valid:
            return None
        return TraceIds(
            trace_id=format(span_context.trace_id, "032x"),
            span_id=format(span_context.span_id, "016x"),
            sampled=span_context.trace_flags.sampled,
            state=span_context.trace_state.to_header(),
        )

    @staticmethod
    def record_exception(exc: BaseException) -> None:
        """An unexpected exception of the current span (the 500 handler reports it here)."""
        span = trace.get_current_span()
        if span.is_recording():
            span.record_exception(exc)
            span.set_attribute("error.type", f"{type(exc).__module__}.{type(exc).__qualname__}")

    # -- PostgreSQL --------------------------------------------------------------------

    def trace_queries(self, connection: QueryLogging) -> None:
        """For the pool's `init`: every statement on this connection becomes a span."""
        connection.add_query_logger(self.record_query)

    def record_query(self, record: QueryRecord) -> None:
        """One statement, as a client span of whatever span was current when it ran
        (asyncpg calls this soon after, in a copy of the statement's context). Statements
        outside any span (start-up, migrations) and in a trace that is not sampled are
        not traced: the span would not be recorded, and this runs for every statement."""
        if not _in_sampled_span():
            return
        operation, summary, table = _statement_summary(record.query)
        attributes: dict[str, str | int] = {
            "db.system.name": _DB_SYSTEM,
            "db.operation.name": operation,
            "db.query.summary": summary,
            "db.query.text": record.query.strip()[:_QUERY_TEXT_MAX],
        }
        if table:
            attributes["db.collection.name"] = table
        address = record.conn_addr
        if isinstance(address, tuple) and len(address) >= 2:  # (host, port); a Unix socket is a path
            attributes["server.address"] = str(address[0])
            attributes["server.port"] = int(address[1])
        end = time.time_ns()
        span = self.tracer.start_span(
            summary, kind=SpanKind.CLIENT, attributes=attributes, start_time=end - int(record.elapsed * 1e9)
        )
        if record.exception is not None:
            sqlstate = getattr(record.exception, "sqlstate", None)
            if sqlstate:
                span.set_attribute("db.response.status_code", str(sqlstate))
            span.set_attribute("error.type", type(record.exception).__qualname__)
            span.set_status(Status(StatusCode.ERROR))
        span.end(end_time=end)

    # -- other dependencies and background work ----------------------------------------

    @contextmanager
    def client_span(self, name: str, attributes: Mapping[str, str | int]) -> Iterator[Span]:
        """A call to another service (Redis) from the current span; none outside a sampled one."""
        if not _in_sampled_span():
            yield trace.INVALID_SPAN
            return
        with self.tracer.start_as_current_span(name, kind=SpanKind.CLIENT, attributes=attributes) as span:
            yield span

    def start_client_span(self, name: str, attributes: Mapping[str, str | int]) -> Span | None:
        """For callers that cannot use a with-block (aiohttp's trace hooks); None outside a
        span. In a trace that is not sampled too: the callee still hears so (`inject`)."""
        if not trace.get_current_span().get_span_context().is_valid:
            return None
        return self.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attributes)

    def inject(self, span: Span, headers: Any) -> None:
        """`traceparent` (and `tracestate`) of `span`, into outgoing headers."""
        self._propagator.inject(headers, context=trace.set_span_in_context(span))

    @contextmanager
    def job_round(self, job: str) -> Iterator[Span]:
        """One round of a background job: a trace of its own, whatever was current. The
        caller sets `job.items`; a round with none is not exported (`IdleRoundsDropped`)."""
        with self.tracer.start_as_current_span(
            f"job {job}", context=otel_context.Context(), kind=SpanKind.INTERNAL, attributes={_JOB_NAME: job}
        ) as span:
            yield span

    @contextmanager
    def continued(
        self,
        name: str,
        *,
        traceparent: str | None,
        tracestate: str | None,
        attributes: Mapping[str, str | int],
    ) -> Iterator[Span]:
        """Work done later for a request (its trace context kept with the work): a span in
        the request's trace, linked to the current span (the job round doing it). Without
        a kept context, a child of the current span."""
        current = trace.get_current_span()
        parent: Context | None = None
        links: Sequence[Link] = ()
        if traceparent:
            carrier = {"traceparent": traceparent}
            if tracestate:
                carrier["tracestate"] = tracestate
            parent = self._propagator.extract(carrier)
            if current.get_span_context().is_valid:
                links = (Link(current.get_span_context()),)
        with self.tracer.start_as_current_span(
            name, context=parent, kind=SpanKind.INTERNAL, attributes=attributes, links=links
        ) as span:
            yield span

    def shutdown(self) -> None:
        """Send what is batched (bounded by OTEL_EXPORTER_OTLP_TIMEOUT), then stop. Blocking:
        call it from a thread."""
        set_trace_source(None)
        self._provider.shutdown()


class IdleRoundsDropped(SpanProcessor):
    """Passes spans on to `inner`, but a job round that found nothing to do (`job.items`
    0, no error) is dropped with the statements it ran: jobs poll every few seconds in
    every worker, and a trace per empty poll is noise a backend charges for. Rounds that
    handled something, failed, or held more than `_HELD_PER_ROUND` spans are kept whole.
    Spans start and end on the worker's event loop thread only."""

    def __init__(self, inner: SpanProcessor) -> None:
        self._inner = inner
        self._held: dict[int, list[ReadableSpan]] = {}

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if isinstance(span, ReadableSpan) and span.parent is None and _JOB_NAME in (span.attributes or {}):
            self._held[span.context.trace_id] = []
        self._inner.on_start(span, parent_context)  # type: ignore[arg-type]

    def on_end(self, span: ReadableSpan) -> None:
        trace_id = span.context.trace_id
        held = self._held.get(trace_id)
        if held is None:
            self._inner.on_end(span)
        elif span.parent is None:  # the round itself, which ends last
            del self._held[trace_id]
            idle = not (span.attributes or {}).get(_JOB_ITEMS) and span.status.status_code is not StatusCode.ERROR
            if not idle:
                for child in held:
                    self._inner.on_end(child)
                self._inner.on_end(span)
        elif len(held) < _HELD_PER_ROUND:
            held.append(span)
        else:
            self._inner.on_end(span)

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


def _in_sampled_span() -> bool:
    """Whether the current span is sampled, so its children would be too with the
    parent-based samplers (with the others, a child of a span that is not exported would
    be an orphan in the backend). Its flag, not `is_recording()`: a statement's span is
    made just after the statement, when the request's span may have ended already."""
    span_context = trace.get_current_span().get_span_context()
    return span_context.is_valid and span_context.trace_flags.sampled


def _has_attribute(span: Span, name: str) -> bool:
    return isinstance(span, ReadableSpan) and span.attributes is not None and name in span.attributes


@lru_cache(maxsize=512)
def _statement_summary(query: str) -> tuple[str, str, str]:
    """(operation, summary, table) of a statement: ("INSERT", "INSERT outbox_events",
    "outbox_events"). A WITH query is summed up by the changes it makes, in order
    ("INSERT webhook_attempts UPDATE webhook_deliveries"), else by the statement it ends
    in. Our statements are constants, so the cache holds each once."""
    match = _STATEMENT.match(query)
    operation = match.group("operation").upper() if match else "QUERY"
    start = 0
    if operation == "WITH":
        changes: list[str] = []
        for verb, table in _CHANGE.findall(query):
            change = f"{verb.split()[0].upper()} {table}"
            if change not in changes:
                changes.append(change)
        if changes:
            tables = {change.split(" ", 1)[1] for change in changes}
            return changes[0].split(" ", 1)[0], " ".join(changes), tables.pop() if len(tables) == 1 else ""
        last = None
        for last in _MAIN_STATEMENT.finditer(query):  # noqa: B007 - the last one is wanted
            pass
        if last is None:
            return operation, operation, ""
        operation, start = last.group(1), last.start()
    target = _TARGET.search(query, start)
    table = target.group("table") if target else ""
    return operation, f"{operation} {table}" if table else operation, table

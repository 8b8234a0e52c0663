"""The id of the request being served, for whatever runs on its behalf, and the seam where
the trace it belongs to will be read.

The edge binds the request id for the duration of each request; log lines (see
`core.observability.logging`), problem bodies, outbox events and outbound calls read it.
A plain ContextVar: tasks spawned while serving a request inherit it, and nothing else
sees it.

There is no tracing yet. `current_trace()` is where log lines (and, later, problem bodies)
ask for the trace and span ids of the work being done; it answers None until tracing
registers where they come from with `set_trace_source` (an OpenTelemetry integration
would pass a function reading the current span's context). Log lines then carry
`trace_id` and `span_id`, and, with GOOGLE_CLOUD_PROJECT set, the fields Cloud Logging
joins traces on.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Final, NamedTuple

__all__ = (
    "REQUEST_ID_HEADER",
    "TraceIds",
    "bind_request_id",
    "current_request_id",
    "current_trace",
    "set_trace_source",
    "unbind_request_id",
)

REQUEST_ID_HEADER: Final = "x-request-id"

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


class TraceIds(NamedTuple):
    """W3C Trace Context ids as lower-case hex: 32 digits for the trace, 16 for the span."""

    trace_id: str
    span_id: str
    sampled: bool


type TraceSource = Callable[[], TraceIds | None]

_trace_source: TraceSource | None = None


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(request_id: str) -> Token[str | None]:
    return _request_id.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)


def set_trace_source(source: TraceSource | None) -> None:
    """Where the current trace and span ids come from (None: no tracing, the default).
    Set once per process, before serving; the source is called for every log line."""
    global _trace_source  # noqa: PLW0603 - one per process, like the logging configuration
    _trace_source = source


def current_trace() -> TraceIds | None:
    """The trace and span of the work being done, or None (no tracing, or outside a span)."""
    source = _trace_source
    return source() if source is not None else None

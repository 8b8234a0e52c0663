"""The shared outbound HTTP client: one aiohttp session per worker, made by the lifespan.

Bounded everywhere: total and connect timeouts, a connection limit overall and per host.
The current request id is forwarded as `X-Request-ID` on every outbound call, so a
webhook receiver's logs can be matched with ours. With tracing on, every call is a client
span (`POST`, with the host and port: never the URL, whose path or query may hold a
receiver's secret) and sends its `traceparent`, so the receiver's trace continues ours.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING

import aiohttp

from src.core.observability.request_context import REQUEST_ID_HEADER, current_request_id
from src.core.security.outbound import GuardedResolver, OutboundGuard
from src.core.settings import Settings

if TYPE_CHECKING:
    from src.core.observability.tracing import Tracing

__all__ = ("USER_AGENT", "create_http_client")

USER_AGENT = "avatar-api/0.1"


async def _forward_request_id(
    _: aiohttp.ClientSession, __: SimpleNamespace, params: aiohttp.TraceRequestStartParams
) -> None:
    request_id = current_request_id()
    if request_id is not None and REQUEST_ID_HEADER not in params.headers:
        params.headers[REQUEST_ID_HEADER] = request_id


class _TracedCalls:
    """aiohttp's hooks for one session: a client span per call (`trace_config_ctx.span`)."""

    __slots__ = ("_tracing",)

    def __init__(self, tracing: Tracing) -> None:
        self._tracing = tracing

    def install(self, config: aiohttp.TraceConfig) -> None:
        config.on_request_start.append(self._start)
        config.on_request_end.append(self._end)
        config.on_request_exception.append(self._exception)

    async def _start(
        self, _: aiohttp.ClientSession, call: SimpleNamespace, params: aiohttp.TraceRequestStartParams
    ) -> None:
        url = params.url
        attributes: dict[str, str | int] = {"http.request.method": params.method, "url.scheme": url.scheme}
        if url.host is not None:
            attributes["server.address"] = url.host
        if url.port is not None:
            attributes["server.port"] = url.port
        span = self._tracing.start_client_span(params.method, attributes)
        call.span = span
        if span is not None:
            self._tracing.inject(span, params.headers)

    async def _end(
        self, _: aiohttp.ClientSession, call: SimpleNamespace, params: aiohttp.TraceRequestEndParams
    ) -> None:
        span = getattr(call, "span", None)
        if span is None:
            return
        status = params.response.status
        span.set_attribute("http.response.status_code", status)
        if status >= 400:  # a client span's error is any 4xx or 5xx (semantic conventions)
            self._tracing.failed(span, str(status))
        span.end()

    async def _exception(
        self, _: aiohttp.ClientSession, call: SimpleNamespace, params: aiohttp.TraceRequestExceptionParams
    ) -> None:
        span = getattr(call, "span", None)
        if span is None:
            return
        self._tracing.failed(span, type(params.exception).__qualname__)
        span.end()


def create_http_client(
    settings: Settings, guard: OutboundGuard, tracing: Tracing | None = None
) -> aiohttp.ClientSession:
    """Must be called with the event loop running (the lifespan does). Every host name is
    resolved through the outbound guard (see core.security.outbound): the session reaches only
    addresses that passed it."""
    hooks = aiohttp.TraceConfig()
    hooks.on_request_start.append(_forward_request_id)
    if tracing is not None:
        _TracedCalls(tracing).install(hooks)
    return aiohttp.ClientSession(
        timeout=aiohttp.ClientTimeout(
            total=settings.http_client_timeout,
            connect=settings.http_client_connect_timeout,
        ),
        connector=aiohttp.TCPConnector(
            limit=settings.http_client_max_connections,
            limit_per_host=settings.http_client_max_connections_per_host,
            ttl_dns_cache=60,
            resolver=GuardedResolver(guard),
        ),
        headers={"User-Agent": USER_AGENT},
        trace_configs=[hooks],
        raise_for_status=False,
    )

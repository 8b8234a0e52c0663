"""The shared outbound HTTP client: one aiohttp session per worker, made by the lifespan.

Bounded everywhere: total and connect timeouts, a connection limit overall and per host.
The current request id is forwarded as `X-Request-ID` on every outbound call, so a
webhook receiver's logs can be matched with ours.
"""

from __future__ import annotations

from types import SimpleNamespace

import aiohttp

from src.core.observability.request_context import REQUEST_ID_HEADER, current_request_id
from src.core.security.outbound import GuardedResolver, OutboundGuard
from src.core.settings import Settings

__all__ = ("USER_AGENT", "create_http_client")

USER_AGENT = "avatar-api/0.1"


async def _forward_request_id(
    _: aiohttp.ClientSession, __: SimpleNamespace, params: aiohttp.TraceRequestStartParams
) -> None:
    request_id = current_request_id()
    if request_id is not None and REQUEST_ID_HEADER not in params.headers:
        params.headers[REQUEST_ID_HEADER] = request_id


def create_http_client(settings: Settings, guard: OutboundGuard) -> aiohttp.ClientSession:
    """Must be called with the event loop running (the lifespan does). Every host name is
    resolved through the outbound guard (see core.security.outbound): the session reaches only
    addresses that passed it."""
    tracing = aiohttp.TraceConfig()
    tracing.on_request_start.append(_forward_request_id)
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
        trace_configs=[tracing],
        raise_for_status=False,
    )

"""The edge: what every response gets, whichever route (or none) answered it.

`EdgeMiddleware` wraps Litestar's whole ASGI handler (see `src.app`), not single routes,
so it also sees requests that match no route (404/405), CORS preflights, and responses
produced by exception handlers. For each HTTP request it:

- accepts a sane `X-Request-ID` or makes a new UUID v7 (ids only need to be unique and
  sortable here, so the Rust uuid-utils type is stringified directly), echoes it on the
  response, and binds it for the request (`core.observability.request_context`: every log line,
  problem body and outbound call of the request carries it);
- resolves the client address once (proxy-aware, see `core.http.client_address`) into
  `request.state.client_address`;
- adds the security headers, errors included: HSTS, nosniff, `X-Frame-Options: DENY`,
  `Referrer-Policy`, and a `Content-Security-Policy` of `default-src 'none'` (the docs
  page gets one that lets it run; a route that sets its own CSP keeps it);
- adds the headers that checks decided before the response existed
  (`set_response_headers`: the rate-limit headers), to whatever answers;
- records the request metrics (route template, method, status, duration; see
  `core.observability.metrics`) and writes one access log line with the same and the client.

It is the one layer every request crosses, so it is written for speed: constant headers
are encoded once, and the access line is encoded directly (see `core.observability.logging`).
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Final, cast

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from uuid_utils import uuid7

from src.core.http.client_address import ClientAddressResolver
from src.core.observability.logging import log_request
from src.core.observability.metrics import RequestMetrics
from src.core.observability.request_context import REQUEST_ID_HEADER, bind_request_id, unbind_request_id

__all__ = ("DOCS_CSP", "EdgeMiddleware", "security_headers", "set_response_headers")

type Header = tuple[bytes, bytes]

_REQUEST_ID_HEADER_BYTES: Final = REQUEST_ID_HEADER.encode()
# Printable, header- and log-safe, bounded: anything else is replaced, not trusted.
_SANE_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")
# nginx's convention for "the client went away before a response was sent".
_CLIENT_CLOSED: Final = 499

_CSP: Final = b"content-security-policy"
API_CSP: Final = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI: its script and styles come from this service; it styles elements inline.
DOCS_CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_DOCS_PREFIX: Final = "/docs"
API_CSP_BYTES: Final = API_CSP.encode()
DOCS_CSP_BYTES: Final = DOCS_CSP.encode()
_LATE_HEADERS: Final = "avatar_api.response_headers"


def set_response_headers(scope: Scope, source: str, headers: Sequence[Header]) -> None:
    """Headers for this request's response, whatever produces it (the route, or an error
    handler after the route raised). Each `source` has one set: a later call replaces
    it (a read retried on a fresh connection is counted again)."""
    scope["state"][_LATE_HEADERS][source] = headers


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_HEADER_BYTES:
            candidate = value.decode("latin-1")
            return candidate if _SANE_REQUEST_ID.fullmatch(candidate) else None
    return None


def security_headers(hsts_max_age: int) -> tuple[Header, ...]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if hsts_max_age:
        headers.append((b"strict-transport-security", f"max-age={hsts_max_age}; includeSubDomains".encode()))
    return tuple(headers)


class EdgeMiddleware:
    __slots__ = ("_access_log", "_addresses", "_headers", "_metrics", "app")

    def __init__(
        self, app: ASGIApp, *, client_addresses: ClientAddressResolver, hsts_max_age: int, access_log: bool
    ) -> None:
        self.app = app
        self._addresses = client_addresses
        self._headers = security_headers(hsts_max_age)
        self._metrics = RequestMetrics()
        self._access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        self._metrics.started()
        request_id = _incoming_request_id(scope) or str(uuid7())
        request_id_token = bind_request_id(request_id)
        client = self._addresses.resolve(scope)
        state = scope["state"]
        state["client_address"] = client
        late_headers: dict[str, Sequence[Header]] = {}
        state[_LATE_HEADERS] = late_headers
        csp = DOCS_CSP_BYTES if scope["path"].startswith(_DOCS_PREFIX) else API_CSP_BYTES
        status = 0

        async def send_with_edge_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                # A copy: a response (a cached one, say) may send the same list again.
                headers = message["headers"] = list(message.get("headers", ()))
                if not any(name.lower() == _CSP for name, _ in headers):
                    headers.append((_CSP, csp))
                headers.extend(self._headers)
                headers.append((_REQUEST_ID_HEADER_BYTES, request_id.encode()))
                for extra in late_headers.values():
                    headers.extend(extra)
            await send(message)

        try:
            await self.app(scope, receive, send_with_edge_headers)
        except Exception:
            # Litestar answers every exception itself; reaching here means the response failed.
            status = status or 500
            raise
        finally:
            # Typed as always present, but absent when no route matched.
            route = cast("str | None", scope.get("path_template"))
            method: str = scope.get("method", "")
            final_status = status or _CLIENT_CLOSED
            seconds = time.perf_counter() - started
            self._metrics.finished(method, route, final_status, seconds)
            if self._access_log:
                log_request(
                    method=method, route=route, status=final_status, duration_ms=round(seconds * 1000, 2), client=client
                )
            unbind_request_id(request_id_token)

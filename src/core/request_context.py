"""Per-request context at the very edge of the app: request id and the access log line.

`RequestContextMiddleware` wraps Litestar's whole ASGI handler (see `src.app`), not
single routes, so it also sees requests that match no route (404/405) and responses
produced by exception handlers. It:

- accepts a sane `X-Request-ID` or makes a new UUID v7, echoes it on the response, and
  binds it into structlog's contextvars (every log line of the request carries it) and
  into `current_request_id()` (problem bodies, outbound calls);
- writes one access log line per request: method, route template, status, duration.
"""

from __future__ import annotations

import re
import time
from contextvars import ContextVar
from typing import Final

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from src.core.ids import new_id
from src.core.logging import get_logger

__all__ = ("REQUEST_ID_HEADER", "RequestContextMiddleware", "current_request_id")

REQUEST_ID_HEADER: Final = "x-request-id"
_REQUEST_ID_HEADER_BYTES: Final = REQUEST_ID_HEADER.encode()
# Printable, header- and log-safe, bounded: anything else is replaced, not trusted.
_SANE_REQUEST_ID: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")
# nginx's convention for "the client went away before a response was sent".
_CLIENT_CLOSED: Final = 499

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
access_log = get_logger(component="access")


def current_request_id() -> str | None:
    return _request_id.get()


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == _REQUEST_ID_HEADER_BYTES:
            candidate = value.decode("latin-1")
            return candidate if _SANE_REQUEST_ID.fullmatch(candidate) else None
    return None


class RequestContextMiddleware:
    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        started = time.perf_counter()
        request_id = _incoming_request_id(scope) or str(new_id())
        request_id_token = _request_id.set(request_id)
        log_tokens = structlog.contextvars.bind_contextvars(request_id=request_id)
        request_id_header = (_REQUEST_ID_HEADER_BYTES, request_id.encode())
        status = 0

        async def send_with_context(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), request_id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_context)
        except Exception:
            # Litestar answers every exception itself; reaching here means the response failed.
            status = status or 500
            raise
        finally:
            client = scope.get("client")
            access_log.info(
                "request",
                method=scope.get("method"),
                route=scope.get("path_template"),
                status=status or _CLIENT_CLOSED,
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
                client=client[0] if client else None,
            )
            structlog.contextvars.reset_contextvars(**log_tokens)
            _request_id.reset(request_id_token)

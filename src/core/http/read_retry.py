"""A read that lost its database connection is answered from a second try, not a 503.

When the server drops a pooled connection (a failover, a restart, pg_terminate_backend),
the request using it fails with one of `CONNECTION_LOST_ERRORS`. The problem handler
marks the request (`mark_connection_lost`); for GET and HEAD, which change nothing, this
middleware then discards the 503 it was about to send and runs the request once more, on
a fresh connection (`Database.acquire` has expired the pool's other connections, which
the same failover or restart has most likely killed too). Writes
are never repeated: their client sees the 503 and its `Retry-After`, and decides.

It sits inside the edge middleware, so the retried request keeps its request id and gets
one access log line and one metric; the rate limiter, inside Litestar, counts both tries.
"""

from __future__ import annotations

from typing import Any, Final

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from src.core.observability.logging import get_logger

__all__ = ("ReadRetryMiddleware", "mark_connection_lost")

log = get_logger(component="database")

_LOST: Final = "avatar_api.connection_lost"
_SAFE_METHODS: Final = frozenset({"GET", "HEAD"})
_SERVICE_UNAVAILABLE: Final = 503


def mark_connection_lost(scope: Scope) -> None:
    """Called by the problem handler: this request failed because its connection died."""
    scope["state"][_LOST] = True


class ReadRetryMiddleware:
    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or scope["method"] not in _SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        # The retry starts from the scope as it arrived, not as the first try left it.
        pristine: Scope = {**scope, "state": {**scope["state"]}}
        first = _FirstTry(scope, receive, send)
        await self.app(scope, first.receive, first.send)  # type: ignore[arg-type]
        if not first.dropped:
            return
        log.info("read_retried", reason="connection_lost", path=scope["path"])
        await self.app(pristine, _Replay(first.received, receive).receive, send)  # type: ignore[arg-type]


class _FirstTry:
    """The first try's way in and out: what it received is kept for a retry, and a 503 for
    a lost connection is held back (bound methods of one object: no closures per request)."""

    __slots__ = ("_receive", "_scope", "_send", "dropped", "received")

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send
        self.received: list[Any] = []
        self.dropped = False

    async def receive(self) -> Message:
        message = await self._receive()
        self.received.append(message)
        return message  # type: ignore[return-value]

    async def send(self, message: Message) -> None:
        if self.dropped:
            return
        if (
            message["type"] == "http.response.start"
            and message["status"] == _SERVICE_UNAVAILABLE
            and self._scope["state"].get(_LOST)
        ):
            self.dropped = True
            return
        await self._send(message)


class _Replay:
    """The retry receives what the first try received, then whatever comes next."""

    __slots__ = ("_messages", "_receive")

    def __init__(self, received: list[Any], receive: Receive) -> None:
        self._messages = iter(received)
        self._receive = receive

    async def receive(self) -> Message:
        return next(self._messages, None) or await self._receive()  # type: ignore[return-value]

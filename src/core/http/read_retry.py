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
        received: list[Any] = []
        dropped = False

        async def recording_receive() -> Message:
            message = await receive()
            received.append(message)
            return message  # type: ignore[return-value]

        async def first_send(message: Message) -> None:
            nonlocal dropped
            if dropped:
                return
            if (
                message["type"] == "http.response.start"
                and message["status"] == _SERVICE_UNAVAILABLE
                and scope["state"].get(_LOST)
            ):
                dropped = True
                return
            await send(message)

        await self.app(scope, recording_receive, first_send)  # type: ignore[arg-type]
        if not dropped:
            return
        log.info("read_retried", reason="connection_lost", path=scope["path"])
        replay = iter(received)

        async def replaying_receive() -> Message:
            return next(replay, None) or await receive()  # type: ignore[return-value]

        await self.app(pristine, replaying_receive, send)  # type: ignore[arg-type]

"""CORS with credentials for the allowed origins only.

Litestar's CORS middleware puts `Access-Control-Allow-Credentials: true` on the answer to
every request that has an `Origin`, allowed or not (its `simple_headers`; only
`Access-Control-Allow-Origin` depends on the allow-list). A browser reads an answer only
when `Access-Control-Allow-Origin` names its page, so that alone grants nothing; but a
cache, a proxy or a browser bug must not be handed a credentials grant meant for no one.
`CredentialsForAllowedOrigins` wraps Litestar's handler and drops the header from any
answer that does not allow the request's origin. Installed only with
CORS_ALLOW_CREDENTIALS=true (src/app.py); the test is
tests/features/auth/test_browser_session.py.
"""

from __future__ import annotations

from typing import Final

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ("CredentialsForAllowedOrigins",)

_ORIGIN: Final = b"origin"
_ALLOW_ORIGIN: Final = b"access-control-allow-origin"
_ALLOW_CREDENTIALS: Final = b"access-control-allow-credentials"


class CredentialsForAllowedOrigins:
    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or not any(name == _ORIGIN for name, _ in scope["headers"]):
            await self.app(scope, receive, send)
            return

        async def send_filtered(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                if not any(name.lower() == _ALLOW_ORIGIN for name, _ in headers):
                    message["headers"] = [
                        (name, value) for name, value in headers if name.lower() != _ALLOW_CREDENTIALS
                    ]
            await send(message)

        await self.app(scope, receive, send_filtered)

"""The id of the request being served, for whatever runs on its behalf.

The edge binds it for the duration of each request; log lines (see `core.observability.logging`),
problem bodies, outbox events and outbound calls read it. A plain ContextVar: tasks
spawned while serving a request inherit it, and nothing else sees it.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Final

__all__ = ("REQUEST_ID_HEADER", "bind_request_id", "current_request_id", "unbind_request_id")

REQUEST_ID_HEADER: Final = "x-request-id"

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    return _request_id.get()


def bind_request_id(request_id: str) -> Token[str | None]:
    return _request_id.set(request_id)


def unbind_request_id(token: Token[str | None]) -> None:
    _request_id.reset(token)

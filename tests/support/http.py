"""Drive the real app over HTTP semantics, in the test's own event loop.

Litestar's AsyncTestClient runs the app in a separate thread and blocks the test's loop
for each request, which serialises concurrent requests and starves servers that tests
run on loopback. Here the lifespan runs in its own task, as under an ASGI server, and
requests go through httpx's ASGI transport, so `asyncio.gather` really is concurrent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import httpx
from litestar import Litestar

__all__ = ("BASE_URL", "CLIENT_ADDRESS", "asgi_transport", "running_app")

BASE_URL = "http://testserver.local"
CLIENT_ADDRESS = "203.0.113.7"


def asgi_transport(app: Litestar) -> httpx.ASGITransport:
    # httpx types the ASGI callable loosely; Litestar's __call__ is typed precisely.
    return httpx.ASGITransport(app=cast("Any", app), client=(CLIENT_ADDRESS, 40000))


def _raise_startup_error(task: asyncio.Task[None]) -> None:
    """Re-raise what failed start-up, unwrapped from the task group Litestar runs it in."""
    error = task.exception()
    while isinstance(error, BaseExceptionGroup) and len(error.exceptions) == 1:
        error = error.exceptions[0]
    if error is not None:
        raise error


@asynccontextmanager
async def running_app(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    started = asyncio.Event()
    stopping = asyncio.Event()

    async def lifespan() -> None:
        # Entered and exited in this one task: Litestar's lifespan holds anyio cancel scopes.
        async with app.lifespan():
            started.set()
            await stopping.wait()

    task = asyncio.create_task(lifespan(), name="test-app-lifespan")
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        _raise_startup_error(task)
    try:
        async with httpx.AsyncClient(transport=asgi_transport(app), base_url=BASE_URL) as client:
            yield client
    finally:
        stopping.set()
        await task

"""Webhook test doubles that are real network peers on loopback.

- `Receiver`: an HTTP server that verifies every delivery with the `standardwebhooks`
  package (a verifier we did not write), answers as scripted (status, delay), and
  records what it got.
- `Canary`: a TCP listener that only counts connections: an SSRF test passes when it
  counts zero.
- `StubResolver`: DNS for chosen names (a name that resolves to a private address, a
  rebinding name), the system resolver for the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Self

import httpx
import msgspec
from aiohttp import web
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from src.core.settings import Settings
from tests.conftest import base_settings
from tests.support.accounts import Account

__all__ = (
    "ALL_EVENTS",
    "WEBHOOKS",
    "Canary",
    "Received",
    "Receiver",
    "Reply",
    "StubResolver",
    "delivery_log",
    "subscribe",
    "wait_for_log",
    "webhook_settings",
)

LOOPBACK = "127.0.0.1"
WEBHOOKS = "/api/v1/webhooks"
ALL_EVENTS = [
    *("avatar.created", "avatar.updated", "avatar.deleted", "avatar.liked", "avatar.unliked"),
    *("avatar.hidden", "avatar.restored"),
]


def webhook_settings(database_url: str, **changes: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "webhook_allow_http": True,
        "outbound_allowed_networks": ("127.0.0.1/32:*",),  # receivers listen on any free port
        "webhook_retry_schedule": "1s,1s,1s",
        "webhook_timeout": 2.0,
        "webhook_poll_seconds": 0.5,
    }
    values.update(changes)
    return base_settings(**values)


@dataclass(frozen=True)
class Reply:
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Received:
    """One request as the receiver saw it."""

    path: str
    webhook_id: str
    headers: dict[str, str]
    body: dict[str, Any]
    verified_by: tuple[int, ...]
    """Indexes into `Receiver.secrets` of the secrets whose signature verified."""
    status: int
    """What the receiver answered."""
    at: float
    """time.monotonic() when it arrived."""

    @property
    def type(self) -> str:
        value: str = self.body["type"]
        return value


class _Listener:
    """Started on `async with`, stopped on leaving it."""

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()


class Receiver(_Listener):
    """A webhook receiver on 127.0.0.1. Add the secrets it should accept to `secrets`;
    script answers per path with `answer(path, Reply(...), ...)` (then 200)."""

    def __init__(self, host: str = LOOPBACK) -> None:
        self.host = host
        self.secrets: list[str] = []
        self.requests: list[Received] = []
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.max_total_in_flight = 0
        self._plans: dict[str, deque[Reply]] = {}
        self._default: dict[str, Reply] = {}
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    def url(self, path: str = "/hook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    def answer(self, path: str, *replies: Reply, then: Reply | None = None) -> None:
        self._plans.setdefault(path, deque()).extend(replies)
        if then is not None:
            self._default[path] = then

    def delivered(self, path: str | None = None) -> list[Received]:
        """Requests answered 2xx (at most once per endpoint and webhook-id: one event sent
        to two endpoints has the same id at both), in arrival order."""
        seen: set[tuple[str, str]] = set()
        found = []
        for request in self.requests:
            key = (request.path, request.webhook_id)
            if (path is None or request.path == path) and 200 <= request.status < 300 and key not in seen:
                seen.add(key)
                found.append(request)
        return found

    def of(self, path: str) -> list[Received]:
        return [request for request in self.requests if request.path == path]

    async def wait_until(self, condition: Callable[[], bool], timeout: float = 15.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(condition)

    async def start(self) -> None:
        application = web.Application()
        application.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(application, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port or 0, reuse_address=True)
        await site.start()
        if not self.port:
            self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening (the port refuses connections until `start` again)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        body = await request.read()
        headers = dict(request.headers)
        verified_by = tuple(index for index, secret in enumerate(self.secrets) if _verifies(secret, body, headers))
        plan = self._plans.get(path)
        reply = plan.popleft() if plan else self._default.get(path, Reply())
        received = Received(
            path=path,
            webhook_id=headers.get("webhook-id", ""),
            headers=headers,
            body=msgspec.json.decode(body) if body else {},
            verified_by=verified_by,
            status=reply.status,
            at=time.monotonic(),
        )
        self.in_flight[path] = self.in_flight.get(path, 0) + 1
        self.max_in_flight[path] = max(self.max_in_flight.get(path, 0), self.in_flight[path])
        self.max_total_in_flight = max(self.max_total_in_flight, sum(self.in_flight.values()))
        try:
            if reply.delay:
                await asyncio.sleep(reply.delay)
        finally:
            self.in_flight[path] -= 1
        async with self._changed:
            self.requests.append(received)
            self._changed.notify_all()
        return web.Response(status=reply.status, headers=reply.headers, text="ok")


def _verifies(secret: str, body: bytes, headers: dict[str, str]) -> bool:
    try:
        Webhook(secret).verify(body, headers)
    except WebhookVerificationError:
        return False
    return True


class Canary(_Listener):
    """Counts TCP connections to one port on 127.0.0.1 and ::1: the target every SSRF
    attempt aims at. A test passes when it counts zero."""

    def __init__(self) -> None:
        self.connections = 0
        self._servers: list[asyncio.Server] = []
        self.port = 0

    def url(self, host: str, path: str = "/", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}{path}"

    async def start(self) -> None:
        first = await asyncio.start_server(self._accept, LOOPBACK, 0)
        self.port = int(first.sockets[0].getsockname()[1])
        self._servers.append(first)
        with contextlib.suppress(OSError):  # no IPv6 loopback here: nothing can connect to it either
            self._servers.append(await asyncio.start_server(self._accept, "::1", self.port))

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
            await server.wait_closed()

    async def _accept(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()


class StubResolver:
    """`resolve` for create_app: the names in `answers` resolve as set (changeable during a
    test, for DNS rebinding); any other name goes to the system resolver."""

    def __init__(self, answers: dict[str, list[str]] | None = None) -> None:
        self.answers = dict(answers or {})
        self.asked: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append(host)
        if host in self.answers:
            return list(self.answers[host])
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return [str(info[4][0]) for info in infos]


async def subscribe(
    client: httpx.AsyncClient,
    account: Account,
    url: str,
    *,
    events: list[str] | None = None,
    receiver: Receiver | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A webhook made through the API; its secret is given to `receiver` to verify with."""
    response = await client.post(
        WEBHOOKS, json={"url": url, "events": events or ALL_EVENTS, **fields}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    webhook: dict[str, Any] = response.json()
    if receiver is not None:
        receiver.secrets.append(webhook["secret"])
    return webhook


async def delivery_log(client: httpx.AsyncClient, account: Account, webhook_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"{WEBHOOKS}/{webhook_id}/deliveries?limit=100", headers=account.headers)
    assert response.status_code == 200, response.text
    attempts: list[dict[str, Any]] = response.json()["data"]
    return attempts


async def wait_for_log(
    client: httpx.AsyncClient,
    account: Account,
    webhook_id: str,
    condition: Callable[[list[dict[str, Any]]], bool],
    timeout: float = 10.0,
) -> list[dict[str, Any]]:
    """The delivery log once `condition` holds for it (newest attempt first)."""
    async with asyncio.timeout(timeout):
        while not condition(log := await delivery_log(client, account, webhook_id)):
            await asyncio.sleep(0.05)
    return log

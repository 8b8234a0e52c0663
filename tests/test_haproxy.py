"""The shipped `deploy/haproxy/haproxy.cfg`, run by Debian's HAProxy in front of a backend of
ours on loopback that holds requests until told: a request that waits out the queue timeout
gets the service's own `503 overloaded` problem, the request id reaches the service and comes
back, and a caller sending past its share waits behind the others, the probes before all."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import msgspec
import pytest

from src.core.data.database import overloaded
from src.core.http.problems import Problem
from src.core.settings import PROJECT_ROOT, Settings
from tests.support.problems import assert_problem
from tests.support.server import free_port
from tests.support.tools import required_tool

CONFIG = PROJECT_ROOT / "deploy" / "haproxy" / "haproxy.cfg"
# HAProxy's default Retry-After is the service's (RETRY_AFTER_SECONDS).
SERVICE_RETRY_AFTER = next(f.default for f in msgspec.structs.fields(Settings) if f.name == "retry_after_seconds")


@dataclass
class HeldBackend:
    """An HTTP/1.1 server that records each request and answers it only once `opened`.
    HAProxy's own health checks (they carry no X-Request-ID) are answered at once, unrecorded."""

    seen: list[dict[str, str]] = field(default_factory=list)
    opened: asyncio.Event = field(default_factory=asyncio.Event)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                request_line, *lines = head.decode("latin-1").split("\r\n")
                headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines if line)}
                if "x-request-id" in headers:
                    async with self.arrived:
                        self.seen.append({"path": request_line.split()[1], **headers})
                        self.arrived.notify_all()
                    await self.opened.wait()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def wait_for(self, count: int) -> None:
        async with self.arrived:
            await asyncio.wait_for(self.arrived.wait_for(lambda: len(self.seen) >= count), timeout=10)


@pytest.fixture
async def backend() -> AsyncIterator[tuple[HeldBackend, int]]:
    held = HeldBackend()
    server = await asyncio.start_server(held.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield held, port
    finally:
        held.opened.set()
        server.close()


@asynccontextmanager
async def haproxy(backend_port: int, tmp_path: Path, **settings: str) -> AsyncIterator[str]:
    """HAProxy on the shipped config, the service at `backend_port`, `settings` as its environment."""
    binary = required_tool("haproxy", install="Debian: apt-get install haproxy; .ci/run installs it")
    port = free_port()
    env = {**os.environ, "LISTEN": f"127.0.0.1:{port}", "API_SERVER": f"127.0.0.1:{backend_port}", **settings}
    log = tmp_path / "haproxy.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(binary, "-f", str(CONFIG), env=env, stdout=output, stderr=output)
    try:
        for _ in range(200):
            assert process.returncode is None, log.read_text()
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                await asyncio.sleep(0.05)
                continue
            writer.close()
            break
        else:
            pytest.fail(f"haproxy did not listen: {log.read_text()}")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), timeout=10)


def test_the_shipped_config_is_valid() -> None:
    binary = required_tool("haproxy", install="Debian: apt-get install haproxy; .ci/run installs it")
    checked = subprocess.run([binary, "-c", "-f", str(CONFIG)], capture_output=True, text=True, check=False)  # noqa: S603
    assert checked.returncode == 0, checked.stdout + checked.stderr


async def test_a_request_that_waits_out_the_queue_gets_the_services_overloaded_problem(
    backend: tuple[HeldBackend, int], tmp_path: Path
) -> None:
    held, port = backend
    async with (
        haproxy(port, tmp_path, API_MAXCONN="1", QUEUE_TIMEOUT="100ms") as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        first = asyncio.create_task(client.get("/api/v1/avatars/held"))
        await held.wait_for(1)
        refused = await client.get("/api/v1/avatars/queued?limit=2")
        assert not first.done()  # refused while the one slot is still held: by the queue timeout
        body = assert_problem(refused, 503, "overloaded")
        service = overloaded()
        decoded = msgspec.json.decode(refused.content, type=Problem)
        assert (decoded.title, decoded.detail) == ("Service Unavailable", service.detail)
        assert body["instance"] == "/api/v1/avatars/queued"
        assert refused.headers["retry-after"] == str(SERVICE_RETRY_AFTER)
        assert refused.headers["cache-control"] == "no-store"
        held.opened.set()
        assert (await first).status_code == 200
    assert [each["path"] for each in held.seen] == ["/api/v1/avatars/held"]  # the refused one never reached it


async def test_the_service_gets_the_request_id_kept_when_sane_and_the_clients_address(
    backend: tuple[HeldBackend, int], tmp_path: Path
) -> None:
    held, port = backend
    held.opened.set()
    async with haproxy(port, tmp_path) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        await client.get("/a", headers={"X-Request-ID": "client-chosen.id:1"})
        await client.get("/b", headers={"X-Request-ID": "bad id with spaces"})
        await client.get("/c")
    sent = {each["path"]: each for each in held.seen}
    assert sent["/a"]["x-request-id"] == "client-chosen.id:1"
    made = [sent[path]["x-request-id"] for path in ("/b", "/c")]
    assert all(len(each) == 36 and each.count("-") == 4 for each in made), made  # UUIDs made by HAProxy
    assert made[0] != made[1]
    assert {each["x-forwarded-for"] for each in held.seen} == {"127.0.0.1"}  # for TRUSTED_PROXIES


async def test_with_no_instance_ready_every_request_is_told_so(tmp_path: Path) -> None:
    nobody = free_port()  # nothing listens there: the health checks fail
    async with (
        haproxy(nobody, tmp_path, CHECK_INTERVAL="100ms") as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        for _ in range(100):
            answer = await client.get("/api/v1/avatars")
            if answer.headers.get("content-type") == "application/problem+json" and (
                answer.json()["code"] == "service_unavailable"
            ):
                break
            # Until two checks have failed, a request tries to connect and fails: that 503 is
            # HAProxy's other one (overloaded).
            assert_problem(answer, 503, "overloaded")
            await asyncio.sleep(0.1)
        assert_problem(answer, 503, "service_unavailable")
        assert answer.headers["retry-after"] == str(SERVICE_RETRY_AFTER)


async def test_a_caller_past_its_share_waits_behind_the_others_and_probes_go_first(
    backend: tuple[HeldBackend, int], tmp_path: Path
) -> None:
    held, port = backend
    async with (
        haproxy(port, tmp_path, API_MAXCONN="1", QUEUE_TIMEOUT="10s", BULK_RATE="2") as url,
        httpx.AsyncClient(base_url=url, timeout=20, limits=httpx.Limits(max_connections=50)) as client,
    ):
        sent: list[asyncio.Task[httpx.Response]] = []

        async def send(path: str, caller: str | None) -> None:
            headers = {"Authorization": f"Bearer {caller}"} if caller else {}
            sent.append(asyncio.create_task(client.get(path, headers=headers)))
            await asyncio.sleep(0.05)  # in this order into HAProxy's queue

        await send("/held", "flooder")
        await held.wait_for(1)
        for number in range(6):
            await send(f"/flood/{number}", "flooder")
        await send("/polite", "polite")
        await send("/health/ready", None)
        held.opened.set()
        assert all(response.status_code == 200 for response in await asyncio.gather(*sent))
    order = [each["path"] for each in held.seen]
    assert order[0] == "/held"
    assert order[1] == "/health/ready"  # probes before everyone
    # Past two requests a second the flooder's requests wait behind the polite caller's,
    # though they came first.
    polite = order.index("/polite")
    assert all(order.index(f"/flood/{number}") > polite for number in range(2, 6)), order


async def test_a_caller_past_its_share_is_refused_on_arrival_when_the_line_is_long(
    backend: tuple[HeldBackend, int], tmp_path: Path
) -> None:
    held, port = backend
    settings = {"API_MAXCONN": "1", "QUEUE_TIMEOUT": "10s", "BULK_RATE": "2", "BULK_QUEUE_LIMIT": "2"}
    async with (
        haproxy(port, tmp_path, **settings) as url,
        httpx.AsyncClient(base_url=url, timeout=20, limits=httpx.Limits(max_connections=50)) as client,
    ):
        flooder = {"Authorization": "Bearer flooder"}
        waiting = [asyncio.create_task(client.get("/held", headers=flooder))]
        await held.wait_for(1)
        for number in range(2):  # the second request is within the share, the third past it: both wait
            waiting.append(asyncio.create_task(client.get(f"/flood/{number}", headers=flooder)))
            await asyncio.sleep(0.05)
        # Two wait for the one held slot: past its share, the flooder is now refused at once,
        # not after the 10 s queue timeout, with the service's problem.
        # (Had it been queued, it would wait for the held slot until the 10 s timeout: the
        # client gives up after 3 s, and the test fails.)
        refused = await client.get("/flood/refused", headers=flooder, timeout=3)
        assert all(not task.done() for task in waiting)
        assert_problem(refused, 503, "overloaded")
        assert refused.headers["retry-after"] == str(SERVICE_RETRY_AFTER)
        # A caller within its share, and a probe, still wait their turn and are served.
        polite = asyncio.create_task(client.get("/polite", headers={"Authorization": "Bearer polite"}))
        probe = asyncio.create_task(client.get("/health/ready", headers=flooder))
        await asyncio.sleep(0.1)
        assert not polite.done()
        assert not probe.done()
        held.opened.set()
        answers = await asyncio.gather(*waiting, polite, probe)
        assert [answer.status_code for answer in answers] == [200] * 5
    assert "/flood/refused" not in [each["path"] for each in held.seen]

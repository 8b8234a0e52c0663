"""Overload: below capacity nothing is refused; past it, refusals are fast and goodput holds.

    uv run python bench/overload.py            # the full run (about 9 minutes)
    uv run python bench/overload.py --quick    # shorter windows, for a look
    uv run python bench/overload.py --baseline 91e803d --output /tmp/before.json   # another commit's code

Our service as shipped (`api serve`, production, one worker pinned to core 0, a pool of 10,
the JSON access line of every request), the load and PostgreSQL on core 1, as in
`bench/run.py`. Three parts:

1. **Closed loop** (every client sends again as soon as it has its answer): wrk at 16, 64
   and 256 connections on every database endpoint, with wrk's timeout raised to 30 s so
   no slow answer is left out of its figures. Recorded: requests per second, p50/p99,
   the slowest answer of all (wrk's maximum), the refusals (503) and the slowest of
   them (from the service's access log, which has every request's status and time).
2. **Open loop** (requests sent on a schedule, whatever the answers): the soak's mix (50%
   GET by id, 20% list, 15% GET /users/me, 15% create) at 70%, 100%, 150% and 400% of
   the capacity measured just before (the same mix in a closed loop at 64 connections,
   the median of three windows). The generator is this file's own (uvloop, raw HTTP/1.1
   on keep-alive connections, a new connection when none is free, up to
   `MAX_CONNECTIONS`; callbacks, no task, future or timer per request): aiohttp, which the
   soak uses, costs more CPU per request than the service and could not offer four times
   capacity from one core, and neither could this generator with a task per request (35 us
   a request, December 4th), since the load's core also runs PostgreSQL and HAProxy. It holds at most
   `MAX_CONNECTIONS` connections (a request due when all are busy waits for one, as in
   wrk2), below Granian's backpressure of 1,024 connections per worker. Latency counts from
   the moment a request was due to be sent, so a generator falling behind shows as
   latency, not as a lighter load; the achieved send rate is reported beside the offered.
   Recorded per level: goodput (2xx per second), refusals (503 `overloaded` and
   `database_unavailable`), p50/p99 of the successes, the slowest refusal, anything else.
3. **Fairness**: ten callers (each its own account) send GET /users/me and creates at
   30% of capacity together, alone and then while an eleventh caller floods at 100% and
   at 300% of capacity. Recorded: the ten's p50/p99 and errors, and the flooder's goodput.

4. **Behind HAProxy**: parts 2 and 3 again through the shipped `deploy/haproxy/haproxy.cfg`
   (`API_MAXCONN` `PROXY_MAXCONN` in flight, its 250 ms queue timeout, callers past 100
   requests a second served after the others), HAProxy on the load's core; the generator
   may hold `PROXY_CLIENT_CONNECTIONS` connections, since HAProxy has no Granian cap. Where
   the load's core went (the generator, PostgreSQL, HAProxy) is recorded per level: on two
   cores they share one, and at four times capacity that core, not the service's, is full.

`--parts` picks some of closed, alone (2 and 3), proxy (4). Output: tables,
`bench/results/overload.json` (or `--output`), and a chart beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import uvloop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.multi import POSTGRES, haproxy_running, pids_named  # noqa: E402
from bench.run import ENDPOINTS, RESULTS, free_port, own_stat, percentile, process_stat, session, start, wrk  # noqa: E402
from bench.variants import baseline_checkout, baseline_spec  # noqa: E402
from tests.support.metrics import sample_value  # noqa: E402

CLOSED_ENDPOINTS = ("by_id", "list", "create", "me")
CLOSED_CONNECTIONS = (16, 64, 256)
OPEN_LEVELS = (0.7, 1.0, 1.5, 4.0)
FAIR_OTHERS = 10
FAIR_OTHERS_SHARE = 0.3
FAIR_FLOOD_SHARES = (1.0, 3.0)  # a flood the pool cannot serve alone; one that swamps the worker's core
MAX_CONNECTIONS = 1000
FLOOD_CONNECTIONS = 900  # with the others' 100, still below Granian's 1,024
POLITE_CONNECTIONS = 100
CLIENT_TIMEOUT = 10.0
WARM_UP_S = 2.0  # the start of each open-loop window, left out of its figures
PASSWORD = "overload password 1"
PARTS = ("closed", "alone", "proxy")
PROXY_CONFIG = ROOT / "deploy" / "haproxy" / "haproxy.cfg"
PROXY_MAXCONN = 64  # in flight from HAProxy to the one worker: its pool of 10 busy, a short line behind
# HAProxy holds connections without Granian's cap: enough that a client is not what queues
# (8,000 requests a second that wait up to the 250 ms queue timeout need 2,000 at once).
PROXY_CLIENT_CONNECTIONS = 4000


# --- the open-loop generator -------------------------------------------------------------


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection of a `Generator`: one request at a time, its
    answer's status handed back to the generator by callback (no task, future or timer per
    request: at four times capacity the generator shares a core with PostgreSQL and HAProxy)."""

    __slots__ = ("_buffer", "_generator", "caller", "due", "transport")
    transport: asyncio.Transport  # set when made, before any request

    def __init__(self, generator: Generator) -> None:
        self._generator = generator
        self._buffer = bytearray()
        self.due: float | None = None  # the request in flight: when it was due; None when idle
        self.caller = 0

    def start(self, due: float, request: bytes, caller: int) -> None:
        self.due, self.caller = due, caller
        self.transport.write(request)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self._generator.next_for(self)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        head_end = buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return
        head = bytes(buffer[:head_end]).lower()
        at = head.find(b"\r\ncontent-length:")
        if at < 0:  # not an answer this generator can frame: the connection is given up
            self.transport.abort()
            return
        start = at + 17
        stop = head.find(b"\r\n", start)
        end = head_end + 4 + int(head[start:stop] if stop > 0 else head[start:])
        if len(buffer) < end:
            return
        status = int(buffer[9:12])
        del buffer[:end]
        self._generator.answered(self, status)

    def connection_lost(self, exc: Exception | None) -> None:
        self._generator.lost(self)


@dataclass(slots=True)
class Result:
    due: float  # when it was due to be sent (loop time)
    status: int  # 0: no answer within CLIENT_TIMEOUT of when it was due (or the connection failed)
    seconds: float  # from `due` to the answer
    caller: int


@dataclass
class Generator:
    """Up to `max_connections` keep-alive connections, opened as needed; a request due when
    all are busy waits here for the next free one, first come first served (its latency
    counts from when it was due, as wrk2 counts it). The default cap stays below Granian's
    backpressure (1024 connections per worker): a connection beyond it is not accepted until
    another closes. `sweep` gives up what has waited past CLIENT_TIMEOUT."""

    host: str
    port: int
    max_connections: int = MAX_CONNECTIONS
    results: list[Result] = field(default_factory=list)
    most_connections: int = 0
    most_queued: int = 0
    then: Callable[[], None] | None = None  # called after each result (a closed loop's next request)
    _pending: deque[tuple[float, bytes, int]] = field(default_factory=deque)
    _idle: list[_Connection] = field(default_factory=list)
    _busy: set[_Connection] = field(default_factory=set)
    _open: int = 0
    _opening: int = 0
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def submit(self, due: float, request: bytes, caller: int) -> None:
        while self._idle:
            connection = self._idle.pop()
            if connection.transport.is_closing():  # closed by the peer: its connection_lost is on its way
                continue
            self._busy.add(connection)
            connection.start(due, request, caller)
            return
        self._pending.append((due, request, caller))
        if self._open < self.max_connections:
            self._spawn()
        else:
            self.most_queued = max(self.most_queued, len(self._pending) - self._opening)

    def _spawn(self) -> None:
        """Open a connection, which takes the head of the line when it is made."""
        self._open += 1
        self._opening += 1
        self.most_connections = max(self.most_connections, self._open)
        task = asyncio.get_running_loop().create_task(self._connect())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def in_flight(self) -> int:
        return len(self._busy) + len(self._pending)

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.create_connection(lambda: _Connection(self), self.host, self.port)
        except OSError:
            self._opening -= 1
            self._open -= 1
            if self._pending:  # the request this connection was opened for fails
                due, _, caller = self._pending.popleft()
                self._record(due, 0, caller)
        else:
            self._opening -= 1

    def next_for(self, connection: _Connection) -> None:
        """A connection that is free (new, or answered): the next request waiting, or idle."""
        if connection.transport.is_closing():  # it goes; `lost` opens another for the line
            self._busy.discard(connection)
        elif self._pending:
            self._busy.add(connection)
            connection.start(*self._pending.popleft())
        else:
            connection.due = None
            self._busy.discard(connection)
            self._idle.append(connection)

    def answered(self, connection: _Connection, status: int) -> None:
        due, caller = connection.due, connection.caller
        connection.due = None
        self.next_for(connection)
        if due is not None:
            self._record(due, status, caller)

    def lost(self, connection: _Connection) -> None:
        due, caller = connection.due, connection.caller
        connection.due = None
        self._busy.discard(connection)
        if connection in self._idle:
            self._idle.remove(connection)
        self._open -= 1
        if self._pending and self._open < self.max_connections:  # the next in line gets a connection
            self._spawn()
        if due is not None:
            self._record(due, 0, caller)

    def _record(self, due: float, status: int, caller: int) -> None:
        seconds = asyncio.get_running_loop().time() - due
        self.results.append(Result(due, status if seconds <= CLIENT_TIMEOUT else 0, seconds, caller))
        if self.then is not None:
            self.then()

    def sweep(self, now: float) -> None:
        """Give up (no answer) every request due more than CLIENT_TIMEOUT ago."""
        while self._pending and now - self._pending[0][0] > CLIENT_TIMEOUT:
            due, _, caller = self._pending.popleft()
            self._record(due, 0, caller)
        for connection in [c for c in self._busy if c.due is not None and now - c.due > CLIENT_TIMEOUT]:
            connection.transport.abort()  # connection_lost records it

    async def drain(self, timeout: float) -> None:
        """Wait for what is in flight, at most `timeout`; what is left has no answer."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.in_flight and (now := loop.time()) < deadline:
            self.sweep(now)
            await asyncio.sleep(0.01)
        self.then = None
        while self._pending:
            due, _, caller = self._pending.popleft()
            self._record(due, 0, caller)
        for connection in list(self._busy):
            connection.transport.abort()
        await asyncio.sleep(0)

    def close(self) -> None:
        for connection in [*self._idle, *self._busy]:
            connection.transport.close()
        self._idle.clear()


type Picker = Callable[[], tuple[bytes, int]]


async def open_loop(generator: Generator, rate: float, seconds: float, pick: Picker) -> dict[str, float]:
    """Send `rate` requests a second for `seconds`, each when due; the send rate achieved."""
    loop = asyncio.get_running_loop()
    began = swept = loop.time()
    sent = 0
    latest = 0.0
    while (now := loop.time()) - began < seconds:
        while sent < rate * (now - began):
            due = began + sent / rate
            latest = max(latest, now - due)
            request, caller = pick()
            generator.submit(due, request, caller)
            sent += 1
        if now - swept > 0.05:
            generator.sweep(now)
            swept = now
        await asyncio.sleep(0.001)
    sending = loop.time() - began
    await generator.drain(CLIENT_TIMEOUT + 1)
    return {"sent": sent, "send_rate": sent / sending, "most_behind_ms": latest * 1000}


async def closed_loop(generator: Generator, clients: int, seconds: float, pick: Picker) -> float:
    """`clients` each sending again as soon as answered, for `seconds`: answers per second."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    before = len(generator.results)

    def again() -> None:
        if (now := loop.time()) < deadline:
            generator.submit(now, *pick())

    began = loop.time()
    generator.then = again
    for _ in range(clients):
        generator.submit(began, *pick())
    while (now := loop.time()) < deadline:
        generator.sweep(now)
        await asyncio.sleep(0.05)
    await generator.drain(CLIENT_TIMEOUT + 1)
    answered = sum(1 for result in generator.results[before:] if 200 <= result.status < 300)
    return answered / (loop.time() - began)


# --- requests ------------------------------------------------------------------------------


def _request(method: str, path: str, host: str, token: str | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    if token is not None:
        lines.append(f"Authorization: Bearer {token}")
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Mix:
    """The soak's mix, by caller: 50% GET by id, 20% list, 15% /users/me, 15% create."""

    def __init__(self, host: str, ids: Sequence[str], tokens: Sequence[str]) -> None:
        self._host = host
        self._by_id = [_request("GET", f"/api/v1/avatars/{avatar}", host) for avatar in ids]
        self._list = _request("GET", "/api/v1/avatars?limit=20", host)
        self._me = [_request("GET", "/api/v1/users/me", host, token) for token in tokens]
        self._tokens = tokens
        self._counter = 0

    def _create(self, caller: int) -> bytes:
        self._counter += 1
        body = f'{{"name":"Overload {self._counter}","color":"#336699"}}'.encode()
        return _request("POST", "/api/v1/avatars", self._host, self._tokens[caller], body)

    def soak(self) -> tuple[bytes, int]:
        pick = random.random()  # noqa: S311 - a traffic mix, not security
        if pick < 0.5:
            return random.choice(self._by_id), 0  # noqa: S311
        if pick < 0.7:
            return self._list, 0
        if pick < 0.85:
            return self._me[0], 0
        return self._create(0), 0

    def authenticated(self, callers: range) -> Picker:
        """/users/me and creates (60/40), from one of `callers` at random: every request
        names its caller, so the line can tell them apart."""

        def pick() -> tuple[bytes, int]:
            caller = random.choice(callers)  # noqa: S311
            if random.random() < 0.6:  # noqa: S311
                return self._me[caller], caller
            return self._create(caller), caller

        return pick


# --- figures -------------------------------------------------------------------------------


def _percentile_ms(values: Sequence[float], share: float) -> float | None:
    return round(percentile(values, share) * 1000, 1) if values else None


def figures(results: Sequence[Result], seconds: float) -> dict[str, object]:
    ok = [r.seconds for r in results if 200 <= r.status < 300]
    refused = [r.seconds for r in results if r.status == 503]
    other = sorted({r.status for r in results if not (200 <= r.status < 300 or r.status == 503)})
    return {
        "requests": len(results),
        "goodput_rps": round(len(ok) / seconds, 1),
        "refused": len(refused),
        "refused_share": round(len(refused) / max(1, len(results)), 4),
        "others": sum(1 for r in results if not (200 <= r.status < 300 or r.status == 503)),
        "other_statuses": other,  # 0: no answer within the client's 10 s from when it was due
        "p50_ms": _percentile_ms(ok, 0.5),
        "p99_ms": _percentile_ms(ok, 0.99),
        "slowest_ok_ms": round(max(ok) * 1000, 1) if ok else None,
        "slowest_refusal_ms": round(max(refused) * 1000, 1) if refused else None,
    }


def _window(results: Sequence[Result], began: float, seconds: float) -> list[Result]:
    return [r for r in results if began + WARM_UP_S <= r.due < began + seconds]


def access_lines(log: Path, offset: int) -> tuple[list[dict[str, object]], int]:
    """The access lines the service wrote after `offset`, and the new offset."""
    with log.open("rb") as handle:
        handle.seek(offset)
        data = handle.read()
    access = b'"logger":"avatar_api.access"'
    lines = [json.loads(raw) for raw in data.splitlines() if raw.startswith(b"{") and access in raw]
    return lines, offset + len(data)


# --- the run -------------------------------------------------------------------------------


async def refusals(url: str) -> dict[str, int]:
    """The service's own count of the line's refusals, by when (its /metrics)."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        scrape = (await client.get("/metrics")).text
    return {
        when: int(sample_value(scrape, "avatar_api_db_pool_refused_total", default=0.0, when=when))
        for when in ("on_arrival", "after_waiting")
    }


async def sign_up(url: str, count: int) -> list[str]:
    """`count` accounts of their own, each logged in once: their access tokens."""
    tokens = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        for number in range(count):
            email = f"overload-{number}-{time.time_ns()}@example.com"
            body = {"email": email, "password": PASSWORD, "display_name": f"Caller {number}"}
            (await client.post("/api/v1/auth/sign-up", json=body)).raise_for_status()
            login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
            login.raise_for_status()
            tokens.append(login.json()["access_token"])
    return tokens


def run_closed(url: str, log: Path, load_env: dict[str, str], seconds: int) -> list[dict[str, object]]:
    rows = []
    offset = log.stat().st_size
    for key in CLOSED_ENDPOINTS:
        endpoint = ENDPOINTS[key]
        wrk(url, endpoint, 16, 1, load_env)  # warm-up
        for connections in CLOSED_CONNECTIONS:
            _, offset = access_lines(log, offset)
            result = wrk(url, endpoint, connections, seconds, load_env, timeout=30)
            lines, offset = access_lines(log, offset)
            refusals = [line for line in lines if line.get("status") == 503]
            row = {
                "endpoint": endpoint.name,
                "connections": connections,
                "rps": result["rps"],
                "p50_ms": result["p50_ms"],
                "p99_ms": result["p99_ms"],
                "slowest_ms": result["max_ms"],
                "non_2xx": int(result["non_2xx"]),
                "socket_errors": int(result["socket_errors"]),
                "refused_503": len(refusals),
                "slowest_refusal_ms": max((float(line["duration_ms"]) for line in refusals), default=None),  # type: ignore[arg-type]
            }
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    return rows


async def measure_capacity(url: str, ids: list[str], tokens: list[str]) -> dict[str, object]:
    """The soak's mix in a closed loop at 64 connections: the median of three windows."""
    parts = urlsplit(url)
    mix = Mix(parts.netloc, ids, tokens)
    generator = Generator(parts.hostname or "127.0.0.1", parts.port or 80)
    await closed_loop(generator, 64, 2.0, mix.soak)  # warm-up
    readings = [await closed_loop(generator, 64, 5.0, mix.soak) for _ in range(3)]
    generator.close()
    capacity = round(statistics.median(readings), 1)
    return {"capacity_rps": capacity, "capacity_readings_rps": [round(r, 1) for r in readings]}


async def run_open(  # noqa: PLR0917 - one call per target
    url: str,
    target: str,
    ids: list[str],
    tokens: list[str],
    pid: int,
    capacity: float,
    seconds: float,
    connections: int = MAX_CONNECTIONS,
    proxy_pid: int | None = None,
) -> list[dict[str, object]]:
    """The open loop at each of `OPEN_LEVELS` x `capacity`, sent to `target` (the service, or
    HAProxy in front of it, `proxy_pid`); the service's own counts read from `url`. Beside
    the service's CPU, what the load's core spent: this generator, PostgreSQL, HAProxy."""
    parts = urlsplit(target)
    mix = Mix(parts.netloc, ids, tokens)
    loop = asyncio.get_running_loop()
    levels = []
    for share in OPEN_LEVELS:
        await settle(pid)  # the previous level's line drains
        generator = Generator(parts.hostname or "127.0.0.1", parts.port or 80, max_connections=connections)
        cpu_before, _ = process_stat(pid)
        load_before = _load_core_cpu(proxy_pid)
        refused_before = await refusals(url)
        began = loop.time()
        sending = await open_loop(generator, share * capacity, seconds, mix.soak)
        cpu, rss = process_stat(pid)
        elapsed = loop.time() - began
        load_cpu = _cpu_spent(load_before, _load_core_cpu(proxy_pid), elapsed)
        await settle(pid)  # what it still holds is answered before /metrics can be
        refused_after = await refusals(url)
        level = {
            "load_share": share,
            "offered_rps": round(share * capacity, 1),
            "achieved_send_rps": round(sending["send_rate"], 1),
            "generator_most_behind_ms": round(sending["most_behind_ms"], 1),
            "most_connections": generator.most_connections,
            "most_queued_in_client": generator.most_queued,
            "service_cpu": round((cpu - cpu_before) / elapsed, 2),
            "load_core_cpu": load_cpu,  # cores' worth, the whole window including the drain
            "service_rss_mib": round(rss / 2**20, 1),
            # What the service counted, the whole window: refused as they arrived, or after waiting.
            "refused_on_arrival": refused_after["on_arrival"] - refused_before["on_arrival"],
            "refused_after_waiting": refused_after["after_waiting"] - refused_before["after_waiting"],
            **figures(_window(generator.results, began, seconds), seconds - WARM_UP_S),
        }
        level["goodput_share"] = round(level["goodput_rps"] / capacity, 3)  # type: ignore[operator]
        generator.close()
        levels.append(level)
        print(json.dumps(level), file=sys.stderr)
    return levels


def _load_core_cpu(proxy_pid: int | None) -> dict[str, float]:
    """CPU seconds so far of what runs on the load's core: this process (the generator),
    PostgreSQL's backends now alive (the service's pool keeps its own), HAProxy."""
    mine = os.times()
    spent = {"generator": mine.user + mine.system}
    spent.update({f"postgres {pid}": own_stat(pid)[0] for pid in pids_named(POSTGRES)})
    if proxy_pid is not None:
        spent["haproxy"] = own_stat(proxy_pid)[0]
    return spent


def _cpu_spent(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Cores' worth per part between two `_load_core_cpu` readings (PostgreSQL's backends summed;
    one that started in between counts from zero)."""
    spent: dict[str, float] = {}
    for key, value in after.items():
        part = "postgres" if key.startswith("postgres ") else key
        spent[part] = spent.get(part, 0.0) + value - before.get(key, 0.0)
    return {part: round(value / seconds, 2) for part, value in spent.items()}


@contextmanager
def proxy_in_front(url: str, maxconn: int) -> Iterator[tuple[str, int]]:
    """The shipped `deploy/haproxy/haproxy.cfg` in front of the service at `url` (`maxconn`
    requests in flight to it), on the load's core: its URL and HAProxy's process id."""
    port = free_port()
    env = {
        "LISTEN": f"127.0.0.1:{port}",
        "API_SERVER": urlsplit(url).netloc,
        "API_MAXCONN": str(maxconn),
        # Every caller here comes from 127.0.0.1: the per-address share would put them all
        # behind each other. Callers are told apart by their tokens (BULK_RATE, as shipped).
        "BULK_ADDRESS_RATE": "1000000",
    }
    with haproxy_running(PROXY_CONFIG, env) as process:
        yield f"http://127.0.0.1:{port}", process.pid


async def settle(pid: int, timeout: float = 30.0) -> None:
    """Wait until the service is idle (under 5% of a core over half a second, at most
    `timeout`): what an earlier level left queued in it must not weigh on the next."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    await asyncio.sleep(1.0)
    while loop.time() < deadline:
        before, _ = process_stat(pid)
        await asyncio.sleep(0.5)
        if process_stat(pid)[0] - before < 0.025:
            return


async def run_fairness(  # noqa: PLR0917 - one call per target
    target: str,
    tokens: list[str],
    capacity: float,
    seconds: float,
    pid: int,
    flood_connections: int = FLOOD_CONNECTIONS,
) -> dict[str, object]:
    """The ten alone, then beside one caller flooding at each of `FAIR_FLOOD_SHARES`, sent to
    `target` (the service, or HAProxy in front of it)."""
    parts = urlsplit(target)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    mix = Mix(parts.netloc, [], tokens)
    others = range(FAIR_OTHERS)
    flooder = FAIR_OTHERS
    loop = asyncio.get_running_loop()
    runs: list[dict[str, object]] = []
    for flood_share in (0.0, *FAIR_FLOOD_SHARES):
        await settle(pid)
        # Connections of their own: the flood's queue in its own client must not hold the others'.
        polite = Generator(host, port, max_connections=POLITE_CONNECTIONS)
        flooding = Generator(host, port, max_connections=flood_connections)
        began = loop.time()
        loads = [open_loop(polite, FAIR_OTHERS_SHARE * capacity, seconds, mix.authenticated(others))]
        if flood_share:
            pick = mix.authenticated(range(flooder, flooder + 1))
            loads.append(open_loop(flooding, flood_share * capacity, seconds, pick))
        await asyncio.gather(*loads)
        run: dict[str, object] = {
            "flood_share": flood_share,
            "flood_rps": round(flood_share * capacity, 1),
            "others": figures(_window(polite.results, began, seconds), seconds - WARM_UP_S),
        }
        if flood_share:
            run["flooder"] = figures(_window(flooding.results, began, seconds), seconds - WARM_UP_S)
        polite.close()
        flooding.close()
        runs.append(run)
        print(json.dumps(run), file=sys.stderr)
    return {"others": FAIR_OTHERS, "others_rps": round(FAIR_OTHERS_SHARE * capacity, 1), "runs": runs}


def _row(values: Sequence[object], widths: Sequence[int]) -> str:
    cells = ("-" if value is None else str(value) for value in values)
    return " ".join(f"{cell:>{width}}" for cell, width in zip(cells, widths, strict=True))


def print_tables(report: dict[str, Any]) -> None:
    widths: tuple[int, ...] = (28, 5, 7, 7, 7, 8, 6, 11)
    if report["closed_loop"]:
        print("\nclosed loop (one worker, pool of 10; wrk timeout 30 s)")
        print(_row(("endpoint", "conns", "rps", "p50", "p99", "slowest", "503s", "slowest 503"), widths))
        for row in report["closed_loop"]:
            values = ("rps", "p50_ms", "p99_ms", "slowest_ms", "refused_503", "slowest_refusal_ms")
            print(_row((row["endpoint"], row["connections"], *(row[key] for key in values)), widths))
    capacity = report["open_loop"]["capacity_rps"]
    fronted = report["behind_proxy"] or {}
    for title, levels in (
        ("the service alone", report["open_loop"].get("levels")),
        ("behind HAProxy", fronted.get("levels")),
    ):
        if not levels:
            continue
        print(f"\nopen loop, the soak's mix, {title}; capacity {capacity} requests/s")
        widths = (7, 7, 8, 6, 8, 7, 7, 11, 6)
        heads = ("offered", "sent", "goodput", "share", "refused", "p50 ok", "p99 ok", "slowest 503", "other")
        print(_row(heads, widths))
        for level in levels:
            keys = ("achieved_send_rps", "goodput_rps", "goodput_share", "refused", "p50_ms", "p99_ms")
            values = (f"{level['load_share']:.0%}", *(level[key] for key in keys), level["slowest_refusal_ms"])
            print(_row((*values, level["others"]), widths))
    for title, fair in (("the service alone", report["fairness"]), ("behind HAProxy", fronted.get("fairness"))):
        if fair:
            print(
                f"\nfairness, {title}: {fair['others']} callers at {fair['others_rps']}/s together, beside one flooding"
            )
            _print_fairness(fair)


def _print_fairness(fair: dict[str, Any]) -> None:
    for run in fair["runs"]:
        others = run["others"]
        line = f"  flood {run['flood_rps']:>7}/s: the others p50 {others['p50_ms']} ms, p99 {others['p99_ms']} ms,"
        line += f" 503s {others['refused']}, no answer {others['others']}"
        if "flooder" in run:
            line += f"; the flooder's goodput {run['flooder']['goodput_rps']}/s, 503s {run['flooder']['refused']}"
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="5 s closed-loop runs, 8 s open-loop windows")
    parser.add_argument("--output", type=Path, default=RESULTS / "overload.json", help="the chart goes beside it")
    parser.add_argument("--baseline", metavar="COMMIT", help="serve that commit's code instead (a before/after)")
    parser.add_argument("--closed-seconds", type=int, help="each wrk run (default 10; --quick 5)")
    parser.add_argument("--open-seconds", type=float, help="each open-loop window (default 17; --quick 8)")
    parser.add_argument(
        "--parts",
        default=",".join(PARTS),
        help="which of closed (the closed loop), alone (open loop and fairness, the service alone), "
        "proxy (the same behind deploy/haproxy/haproxy.cfg); default all",
    )
    parser.add_argument(
        "--proxy-maxconn", type=int, default=PROXY_MAXCONN, help=f"HAProxy's API_MAXCONN (default {PROXY_MAXCONN})"
    )
    args = parser.parse_args()
    parts = set(args.parts.split(","))
    if not parts <= set(PARTS):
        parser.error(f"--parts: one or more of {', '.join(PARTS)}")
    closed_seconds = args.closed_seconds or (5 if args.quick else 10)
    open_seconds = args.open_seconds or (8.0 if args.quick else 17.0)
    with session("avatar-overload-") as bench, baseline_checkout(args.baseline, bench.work) as checkout:
        spec = bench.specs["ours"]
        if checkout is not None:
            spec = baseline_spec(f"ours at {args.baseline}", spec, checkout)
        log = bench.work / "overload.log"
        with start(spec, free_port(), log) as running:
            load_env = bench.fresh_load_env()
            closed = run_closed(running.url, log, load_env, closed_seconds) if "closed" in parts else []
            fairness: dict[str, object] | None = None
            fronted: dict[str, object] | None = None
            tokens = [load_env["BENCH_TOKEN"], *asyncio.run(sign_up(running.url, FAIR_OTHERS + 1))]
            ids = Path(load_env["BENCH_IDS"]).read_text().split()
            url, pid = running.url, running.process.pid
            opened = uvloop.run(measure_capacity(url, ids, tokens[:1]))
            capacity = float(opened["capacity_rps"])  # type: ignore[arg-type]
            if "alone" in parts:
                opened["levels"] = uvloop.run(run_open(url, url, ids, tokens[:1], pid, capacity, open_seconds))
                fairness = uvloop.run(run_fairness(url, tokens[1:], capacity, open_seconds, pid))
            if "proxy" in parts:
                with proxy_in_front(url, args.proxy_maxconn) as (proxy, proxy_pid):
                    levels = run_open(
                        url, proxy, ids, tokens[:1], pid, capacity, open_seconds, PROXY_CLIENT_CONNECTIONS, proxy_pid
                    )
                    fronted = {
                        "config": str(PROXY_CONFIG.relative_to(ROOT)),
                        "maxconn": args.proxy_maxconn,
                        "client_connections": PROXY_CLIENT_CONNECTIONS,
                        "levels": uvloop.run(levels),
                        "fairness": uvloop.run(
                            run_fairness(proxy, tokens[1:], capacity, open_seconds, pid, PROXY_CLIENT_CONNECTIONS)
                        ),
                    }
    report: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "method": {"closed_seconds": closed_seconds, "open_seconds": open_seconds, "warm_up_s": WARM_UP_S},
        "served": args.baseline or "this checkout",
        "closed_loop": closed,
        "open_loop": opened,
        "fairness": fairness,
        "behind_proxy": fronted,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print_tables(report)
    chart = subprocess.run(  # noqa: S603
        [
            "uv", "run", "--no-project", "--quiet", "--with", "matplotlib>=3.9", "python",
            str(ROOT / "bench" / "chart.py"), "--overload", str(args.output), str(args.output.with_suffix(".png")),
        ],
        check=False,
    )  # fmt: skip
    if chart.returncode != 0:
        print("the chart could not be drawn (matplotlib from PyPI); the tables and JSON are written", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Webhook delivery: end-to-end latency and sustained throughput of one instance.

    uv run python bench/webhooks.py                 # 200 latency samples, 2000 events x 8 endpoints
    uv run python bench/webhooks.py --events 500    # a shorter throughput run

The service runs as shipped (`api serve`, one worker, pinned to core 0) on a fresh
database (embedded, or BENCH_DATABASE_URL), allowed to reach a receiver on loopback. The
receiver (aiohttp, in this process, on the other core) answers 204 at once and notes when
each message arrived.

- Latency: one avatar created at a time through the API; from the moment the 201 arrived
  (the change has committed by then) to the moment the receiver got the message. Idle,
  so this is the floor: LISTEN/NOTIFY wake-up, dispatch, claim, send.
- Throughput: N events written into the outbox in one transaction (as N changes would),
  fanned out to 8 endpoints of one user; deliveries per second from the first message
  received to the last, with the default concurrency (16 in flight, 4 per endpoint).
Output: a summary, and `bench/results/webhooks.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import httpx
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    LOAD_CORE,
    RESULTS,
    database,
    free_port,
    ours_for_scripts,
    percentile,
    prepare_database,
    process_stat,
    start,
)
from src.core.ids import new_id  # noqa: E402

ENDPOINTS = 8
PASSWORD = "benchmark password 1"


class LoopbackReceiver:
    """An aiohttp server on loopback that takes every POST with `_handle`; `wait_until`
    waits for what the handler notes (it sets `changed` after each)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.changed = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def wait_until(self, done: Callable[[], bool], timeout: float) -> None:
        async with asyncio.timeout(timeout):
            while not done():
                self.changed.clear()
                await self.changed.wait()


class Receiver(LoopbackReceiver):
    """Answers 204 to every POST and notes (webhook-id, path) -> arrival time."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: dict[tuple[str, str], float] = {}
        self.count = 0
        self.first: float | None = None
        self.last = 0.0

    async def _handle(self, request: web.Request) -> web.Response:
        await request.read()
        now = time.time()
        key = (request.headers["webhook-id"], request.path)
        if key not in self.arrivals:
            self.arrivals[key] = now
            self.count += 1
            self.first = self.first or now
            self.last = now
        self.changed.set()
        return web.Response(status=204)

    async def wait_for(self, count: int, timeout: float) -> None:
        await self.wait_until(lambda: self.count >= count, timeout)


def core_busy() -> dict[str, tuple[int, int]]:
    """(busy, total) jiffies per core, from /proc/stat."""
    cores = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *fields = line.split()
        if name.startswith("cpu") and name != "cpu":
            values = [int(value) for value in fields]
            idle = values[3] + values[4]  # idle + iowait
            cores[name] = (sum(values) - idle, sum(values))
    return cores


async def measure(url: str, dsn: str, receiver: Receiver, samples: int, events: int) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        email = f"hooks-{os.getpid()}@example.com"
        body = {"email": email, "password": PASSWORD, "display_name": "Hooks"}
        (await client.post("/api/v1/auth/sign-up", json=body)).raise_for_status()
        login = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        login.raise_for_status()
        auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
        hooks = []
        for n in range(ENDPOINTS):
            created = await client.post(
                "/api/v1/webhooks",
                json={"url": f"http://127.0.0.1:{receiver.port}/hook/{n}", "events": ["avatar.created"]},
                headers=auth,
            )
            created.raise_for_status()
            hooks.append(created.json()["id"])
        # Latency: one endpoint only, so each change is one message.
        for hook in hooks[1:]:
            (await client.patch(f"/api/v1/webhooks/{hook}", json={"enabled": False}, headers=auth)).raise_for_status()
        latencies = []
        for n in range(samples):
            response = await client.post(
                "/api/v1/avatars", json={"name": f"Latency {n}", "color": "#3366FF"}, headers=auth
            )
            committed = time.time()
            response.raise_for_status()
            await receiver.wait_for(n + 1, timeout=30)
            latencies.append((receiver.last - committed) * 1000)
        for hook in hooks[1:]:
            (await client.patch(f"/api/v1/webhooks/{hook}", json={"enabled": True}, headers=auth)).raise_for_status()
        owner_id = (await client.get("/api/v1/users/me", headers=auth)).json()["id"]

    # Throughput: the outbox filled by N changes at once.
    before = receiver.count
    connection = await asyncpg.connect(dsn)
    try:
        payload = json.dumps({"avatar": {"id": str(new_id()), "name": "Bulk"}})
        async with connection.transaction():
            await connection.executemany(
                "INSERT INTO outbox_events (id, type, owner_id, data) VALUES ($1, 'avatar.created', $2, $3::jsonb)",
                [(new_id(), owner_id, payload) for _ in range(events)],
            )
            await connection.execute("NOTIFY outbox_events")
        written = time.time()
        cores_before = core_busy()
        expected = before + events * ENDPOINTS
        await receiver.wait_for(expected, timeout=600)
        cores_after = core_busy()
        # The receiver has them all; the last outcomes are being recorded.
        async with asyncio.timeout(30):
            while await connection.fetchval("SELECT count(*) FROM webhook_deliveries WHERE status <> 'succeeded'"):
                await asyncio.sleep(0.05)
        rows = await connection.fetch("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
        states: dict[str, int] = {row[0]: row[1] for row in rows}
    finally:
        await connection.close()
    bulk = sorted(t for key, t in receiver.arrivals.items() if t >= written)
    spread = bulk[-1] - bulk[0]
    return {
        "latency_ms": {
            "samples": len(latencies),
            "p50": round(statistics.median(latencies), 1),
            "p90": round(percentile(latencies, 0.9), 1),
            "p99": round(percentile(latencies, 0.99), 1),
            "max": round(max(latencies), 1),
        },
        "throughput": {
            "events": events,
            "endpoints": ENDPOINTS,
            "deliveries": len(bulk),
            "deliveries_per_s": round(len(bulk) / spread, 1) if spread else None,
            "first_after_write_ms": round((bulk[0] - written) * 1000, 1),
            "all_done_after_s": round(bulk[-1] - written, 2),
            "delivery_states": {str(k): int(v) for k, v in states.items()},
            # Core 0 runs the service; core 1 PostgreSQL and the receiver.
            "core_busy_share": {
                name: round((cores_after[name][0] - busy) / max(1, cores_after[name][1] - total), 2)
                for name, (busy, total) in cores_before.items()
            },
        },
    }


async def run(url: str, dsn: str, samples: int, events: int, server_pid: int) -> dict[str, object]:
    receiver = Receiver()
    await receiver.start()
    try:
        cpu_before, _ = process_stat(server_pid)
        wall = time.monotonic()
        figures = await measure(url, dsn, receiver, samples, events)
        cpu, rss = process_stat(server_pid)
        figures["server"] = {
            "cpu_s": round(cpu - cpu_before, 2),
            "wall_s": round(time.monotonic() - wall, 2),
            "rss_mib": round(rss / 2**20, 1),
        }
        return figures
    finally:
        await receiver.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=200, help="latency samples")
    parser.add_argument("--events", type=int, default=2000, help="events for the throughput run (x8 deliveries)")
    parser.add_argument("--output", type=Path, default=RESULTS / "webhooks.json")
    args = parser.parse_args()
    os.sched_setaffinity(0, {int(LOAD_CORE)})
    work = Path(tempfile.mkdtemp(prefix="avatar-bench-hooks-"))
    with database() as admin_dsn:
        dsn = asyncio.run(prepare_database(admin_dsn))
        spec = ours_for_scripts(
            "ours (as shipped, webhooks to loopback allowed)",
            dsn,
            work / "data",
            WEBHOOK_ALLOW_HTTP="true",
            OUTBOUND_ALLOWED_NETWORKS="127.0.0.1/32:*",
        )
        with start(spec, free_port(), work / "serve.log") as running:
            figures = asyncio.run(run(running.url, dsn, args.samples, args.events, running.process.pid))
    report = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "cpus": os.cpu_count(), **figures}
    args.output.parent.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

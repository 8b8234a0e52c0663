"""How cost grows with data: the same requests at 10k, 100k and 1M avatars (and as many
sessions), then the contended cases at 1M.

    uv run python bench/scale.py                       # 10k, 100k, 1M; about 6 minutes
    uv run python bench/scale.py --stages 10000,100000 --hot-seconds 5

Our service as shipped, one worker pinned to core 0; PostgreSQL (embedded, or
BENCH_DATABASE_URL), wrk and the other clients on core 1. Each stage adds rows in SQL
(avatars of 100 owners, ids in time order as the service makes them; sessions, each with
a refresh token) and `ANALYZE`s, then measures, at 8 connections for 3 s with wrk:

- `list`: the first page of `GET /api/v1/avatars?limit=20`;
- `deep`: the page 1,000 pages in (its cursor found by following `links.next`; at 10k
  avatars there are only 500 pages, so the last one);
- `owner`: the first page of one owner's avatars (`?owner_id=`: 1% of them);
- `by_id`: `GET /api/v1/avatars/{id}` over 1,000 random ids;

and, through an HTTP client: `login` (Argon2id at production cost: its time is the hash)
and `refresh` (a rotation of a refresh token), with as many sessions in the table as
avatars. After the last stage:

- **hot avatar**: 256 users like and unlike one avatar as fast as they can; throughput,
  every status (a 500 or a serialisation error would show; a 503 is the waiting line
  shedding a request that waited out the acquire timeout, counted apart), and whether
  `likes_count` ends exact;
- **webhook fairness**: 1,000 endpoints of one user, one of them slow (200 ms) with a
  backlog of 100,000 deliveries older than anything else; then avatars are created
  through the API, each fanned out to all 1,000 endpoints. Reported: how long the other
  999 endpoints wait for their delivery (p50, max), against the backlog in front of them.

Targets (issue 17): every read's p50 within 1.5x from the first stage to the last; no 500
from the hot avatar and an exact count; no endpoint's deliveries starve. Each is printed
met or not; the exit code is 1 when one of the last three (correctness, not speed) is
missed. Output: a table, `bench/results/scale.json` and `scale.png`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import aiohttp
import asyncpg
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    BENCH,
    ENDPOINTS,
    LOAD_CORE,
    RESULTS,
    Endpoint,
    compile_bytecode,
    database,
    free_port,
    ours_for_scripts,
    percentile,
    prepare_database,
    start,
    wrk,
)
from bench.webhooks import LoopbackReceiver  # noqa: E402
from src.core.security.keys import SigningKeys, generate_private_key_pem  # noqa: E402
from src.core.security.tokens import TokenService  # noqa: E402
from src.core.settings import Settings  # noqa: E402

PASSWORD = "benchmark password 1"
READS = ("list", "deep", "owner", "by_id")
FLAT = 1.5  # a read's p50 at the last stage over the first, at most
DEEP_PAGES = 1000
HOT_USERS = 256
HOOK_ENDPOINTS = 1000
HOOK_BACKLOG = 100_000
SLOW_RECEIVER_S = 0.2
FAIR_WAIT_S = 30.0  # a delivery later than this, behind the backlog, is starved

# A time-ordered UUID (v7 layout) from a millisecond timestamp and a seed: the order the
# service's own ids have, so keyset pages walk the seeded rows as they walk real ones. A
# function of this connection's session only (pg_temp): nothing is left in the schema.
UUID7_FUNCTION = """
CREATE FUNCTION pg_temp.bench_uuid7(ms bigint, seed text) RETURNS uuid LANGUAGE sql IMMUTABLE AS $$
    SELECT (lpad(to_hex(ms), 12, '0') || '7' || substr(md5(seed), 1, 3) || '8' || substr(md5(seed), 4, 15))::uuid
$$
"""
GROW_AVATARS = """
INSERT INTO avatars (id, owner_id, name, color)
SELECT pg_temp.bench_uuid7($1::bigint - g, 'a' || g), owners[1 + g % array_length(owners, 1)], 'Seed avatar ' || g,
       '#3366FF'
FROM generate_series($2::bigint, $3::bigint - 1) AS g,
     (SELECT array_agg(id ORDER BY email) AS owners FROM users WHERE email LIKE 'seed%') AS o
"""
# The slow endpoint's backlog: events already fanned out, all older than what follows.
SLOW_BACKLOG = """
WITH events AS (
    INSERT INTO outbox_events (id, type, owner_id, data, occurred_at, dispatched_at)
    SELECT pg_temp.bench_uuid7((extract(epoch FROM now()) * 1000)::bigint - 3600000 + g, 'e' || g),
           'avatar.created', $1, '{"avatar": {}}'::jsonb, now() - interval '1 hour', now()
    FROM generate_series(1, $3) AS g
    RETURNING id, occurred_at
)
INSERT INTO webhook_deliveries (event_id, endpoint_id, next_attempt_at, created_at)
SELECT id, $2, occurred_at, occurred_at FROM events
"""
GROW_SESSIONS = """
WITH made AS (
    INSERT INTO sessions (id, user_id, expires_at)
    SELECT gen_random_uuid(), owners[1 + g % array_length(owners, 1)], now() + interval '30 days'
    FROM generate_series($1::bigint, $2::bigint - 1) AS g,
         (SELECT array_agg(id ORDER BY email) AS owners FROM users WHERE email LIKE 'seed%') AS o
    RETURNING id
)
INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
SELECT sha256(convert_to(id::text, 'UTF8')), id, now() + interval '30 days' FROM made
"""


def latency_figures(durations_ms: list[float], wall_s: float) -> dict[str, float]:
    return {
        "requests": len(durations_ms),
        "rps": round(len(durations_ms) / wall_s, 1) if wall_s else 0.0,
        "p50_ms": round(statistics.median(durations_ms), 2) if durations_ms else 0.0,
        "p99_ms": round(percentile(durations_ms, 0.99), 2),
    }


class Bench:
    """The running service, its database and what the measurements share."""

    def __init__(self, url: str, dsn: str, key_file: Path, work: Path) -> None:
        self.url = url
        self.dsn = dsn
        self.work = work
        self.tokens = TokenService(SigningKeys(key_file.read_bytes()), Settings(access_token_ttl_seconds=3600))
        self.email = f"scale-{os.getpid()}@example.com"
        self.user_id = ""
        self.seeded = 0
        self.sessions = 0

    async def sign_up(self, client: aiohttp.ClientSession) -> None:
        body = {"email": self.email, "password": PASSWORD, "display_name": "Scale"}
        async with client.post(f"{self.url}/api/v1/auth/sign-up", json=body) as response:
            assert response.status == 201, await response.text()  # noqa: S101
            self.user_id = (await response.json())["id"]

    async def grow(self, connection: asyncpg.Connection, avatars: int) -> None:
        """Up to `avatars` avatars in all (the first 10k come from bench/run.py's seed), as many sessions."""
        existing = await connection.fetchval("SELECT count(*) FROM avatars")
        if avatars > existing:
            oldest = await connection.fetchval(
                "SELECT (extract(epoch FROM now()) * 1000)::bigint - 86400000"  # a day older than the first seed
            )
            await connection.execute(GROW_AVATARS, oldest, self.seeded, self.seeded + avatars - existing)
            self.seeded += avatars - existing
        sessions = await connection.fetchval("SELECT count(*) FROM sessions")
        if avatars > sessions:
            await connection.execute(GROW_SESSIONS, self.sessions, self.sessions + avatars - sessions)
            self.sessions += avatars - sessions
        await connection.execute("VACUUM ANALYZE avatars")
        await connection.execute("VACUUM ANALYZE sessions")
        await connection.execute("VACUUM ANALYZE refresh_tokens")

    async def read_paths(
        self, client: aiohttp.ClientSession, connection: asyncpg.Connection, avatars: int
    ) -> tuple[dict[str, str], int]:
        """The paths measured, and how many pages deep `deep` is (fewer than DEEP_PAGES where
        there are not that many)."""
        path = "/api/v1/avatars?limit=20"
        pages = min(DEEP_PAGES, avatars // 20 - 1)
        for _ in range(pages):
            async with client.get(self.url + path) as response:
                assert response.status == 200, await response.text()  # noqa: S101
                path = (await response.json())["links"]["next"]
        owner = await connection.fetchval("SELECT id FROM users WHERE email = 'seed0@example.com'")
        ids = [str(row[0]) for row in await connection.fetch("SELECT id FROM avatars ORDER BY random() LIMIT 1000")]
        (self.work / "ids.txt").write_text("\n".join(ids) + "\n")
        paths = {
            "list": "/api/v1/avatars?limit=20",
            "deep": path,
            "owner": f"/api/v1/avatars?limit=20&owner_id={owner}",
        }
        return paths, pages

    def reads(self, paths: dict[str, str], seconds: int) -> dict[str, dict[str, float]]:
        found = {}
        for name in READS:
            endpoint = ENDPOINTS["by_id"] if name == "by_id" else Endpoint(name, "plain_get", path=paths[name])
            env = {"BENCH_IDS": str(self.work / "ids.txt")}
            wrk(self.url, endpoint, 8, 1, env)  # warm-up
            figures = wrk(self.url, endpoint, 8, seconds, env)
            found[name] = {
                "rps": round(figures["rps"], 1),
                "p50_ms": round(figures["p50_ms"], 2),
                "p99_ms": round(figures["p99_ms"], 2),
                "non_2xx": int(figures["non_2xx"]),
            }
        return found

    async def logins_and_refreshes(self, client: aiohttp.ClientSession) -> dict[str, dict[str, float]]:
        login_ms: list[float] = []
        refresh_tokens: list[str] = []
        wall = time.monotonic()
        for _ in range(12):
            started = time.monotonic()
            body = {"email": self.email, "password": PASSWORD}
            async with client.post(f"{self.url}/api/v1/auth/login", json=body) as response:
                assert response.status == 200, await response.text()  # noqa: S101
                refresh_tokens.append((await response.json())["refresh_token"])
            login_ms.append((time.monotonic() - started) * 1000)
        login = latency_figures(login_ms, time.monotonic() - wall)

        refresh_ms: list[float] = []

        async def chain(token: str) -> None:
            for _ in range(60):
                started = time.monotonic()
                async with client.post(f"{self.url}/api/v1/auth/refresh", json={"refresh_token": token}) as response:
                    assert response.status == 200, await response.text()  # noqa: S101
                    token = (await response.json())["refresh_token"]
                refresh_ms.append((time.monotonic() - started) * 1000)

        wall = time.monotonic()
        await asyncio.gather(*(chain(token) for token in refresh_tokens[:4]))
        return {"login": login, "refresh": latency_figures(refresh_ms, time.monotonic() - wall)}

    async def hot_avatar(
        self, client: aiohttp.ClientSession, connection: asyncpg.Connection, seconds: float
    ) -> dict[str, object]:
        """HOT_USERS users like and unlike one avatar, each as fast as its answers come."""
        avatar = await connection.fetchval("SELECT id FROM avatars ORDER BY id DESC LIMIT 1")
        users = [uuid4() for _ in range(HOT_USERS)]
        sessions = [uuid4() for _ in range(HOT_USERS)]
        await connection.copy_records_to_table(
            "users",
            records=[(user, f"hot{n}-{os.getpid()}@example.com", f"Hot {n}", "x") for n, user in enumerate(users)],
            columns=["id", "email", "display_name", "password_hash"],
        )
        await connection.executemany(
            "INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, now() + interval '1 day')",
            list(zip(sessions, users, strict=True)),
        )
        before = await connection.fetchval("SELECT likes_count FROM avatars WHERE id = $1", avatar)
        statuses: dict[str, int] = {}
        liked = [False] * HOT_USERS
        durations: list[float] = []
        deadline = time.monotonic() + seconds

        async def user_loop(n: int) -> None:
            headers = {"Authorization": f"Bearer {self.tokens.issue(user_id=users[n], session_id=sessions[n])}"}
            url = f"{self.url}/api/v1/avatars/{avatar}/like"
            while time.monotonic() < deadline:
                method = "DELETE" if liked[n] else "PUT"
                started = time.monotonic()
                async with client.request(method, url, headers=headers) as response:
                    await response.read()
                    key = f"{method} {response.status}"
                durations.append((time.monotonic() - started) * 1000)
                statuses[key] = statuses.get(key, 0) + 1
                if response.status == 204:
                    liked[n] = method == "PUT"

        wall = time.monotonic()
        await asyncio.gather(*(user_loop(n) for n in range(HOT_USERS)))
        wall = time.monotonic() - wall
        count = await connection.fetchval("SELECT likes_count FROM avatars WHERE id = $1", avatar)
        rows = await connection.fetchval("SELECT count(*) FROM avatar_likes WHERE avatar_id = $1", avatar)
        expected = before + sum(liked)
        return {
            "users": HOT_USERS,
            "seconds": round(wall, 1),
            **latency_figures(durations, wall),
            "statuses": statuses,
            # 503 (database_unavailable, with Retry-After) is the waiting line shedding what waited
            # out the acquire timeout: overload, not an error. Anything else 5xx would be a failure.
            "server_errors": sum(
                value for key, value in statuses.items() if key.split()[1].startswith("5") and key.split()[1] != "503"
            ),
            "shed_503": sum(value for key, value in statuses.items() if key.split()[1] == "503"),
            "likes_count": count,
            "like_rows": rows,
            "expected": expected,
            "exact": count == rows == expected,
        }

    async def webhook_fairness(
        self, client: aiohttp.ClientSession, connection: asyncpg.Connection, rounds: int
    ) -> dict[str, object]:
        receiver = _Receiver()
        await receiver.start()
        try:
            from src.features.webhooks.signing import new_secret  # noqa: PLC0415

            endpoints = [uuid4() for _ in range(HOOK_ENDPOINTS)]
            await connection.copy_records_to_table(
                "webhook_endpoints",
                records=[
                    (
                        endpoint,
                        UUID(self.user_id),
                        f"http://127.0.0.1:{receiver.port}/hook/{n}",
                        ["avatar.created"],
                        new_secret(),
                    )
                    for n, endpoint in enumerate(endpoints)
                ],
                columns=["id", "owner_id", "url", "events", "secret"],
            )
            await connection.execute(
                SLOW_BACKLOG,
                UUID(self.user_id),
                endpoints[0],
                HOOK_BACKLOG,
            )
            await connection.execute("VACUUM ANALYZE webhook_deliveries")
            await connection.execute("NOTIFY webhook_deliveries")
            access = await self._access_token(client)
            waits: list[float] = []
            starved = 0
            backlog_sent_before = receiver.slow_count
            for n in range(rounds):
                receiver.reset_fast()
                async with client.post(
                    f"{self.url}/api/v1/avatars",
                    json={"name": f"Fan-out {n}", "color": "#3366FF"},
                    headers={"Authorization": f"Bearer {access}"},
                ) as response:
                    assert response.status == 201, await response.text()  # noqa: S101
                committed = time.monotonic()
                with contextlib.suppress(TimeoutError):
                    await receiver.wait_for_fast(HOOK_ENDPOINTS - 1, FAIR_WAIT_S)
                arrived = [at - committed for at in receiver.fast_arrivals.values()]
                starved += HOOK_ENDPOINTS - 1 - len(arrived)
                waits += arrived
            pending = await connection.fetchval(
                "SELECT count(*) FROM webhook_deliveries WHERE endpoint_id = $1 AND status <> 'succeeded'", endpoints[0]
            )
            outcomes = {
                str(row[0] or "delivered"): int(row[1])
                for row in await connection.fetch("SELECT error, count(*) FROM webhook_attempts GROUP BY error")
            }
            return {
                "endpoints": HOOK_ENDPOINTS,
                "backlog": HOOK_BACKLOG,
                "slow_receiver_ms": SLOW_RECEIVER_S * 1000,
                "fan_outs": rounds,
                "deliveries_expected": rounds * (HOOK_ENDPOINTS - 1),
                "deliveries_in_time": len(waits),
                "starved": starved,
                "wait_p50_s": round(statistics.median(waits), 2) if waits else None,
                "wait_max_s": round(max(waits), 2) if waits else None,
                "backlog_sent_meanwhile": receiver.slow_count - backlog_sent_before,
                "backlog_left": pending,
                "attempt_outcomes": outcomes,
            }
        finally:
            await receiver.stop()

    async def _access_token(self, client: aiohttp.ClientSession) -> str:
        async with client.post(
            f"{self.url}/api/v1/auth/login", json={"email": self.email, "password": PASSWORD}
        ) as response:
            assert response.status == 200, await response.text()  # noqa: S101
            token: str = (await response.json())["access_token"]
            return token


class _Receiver(LoopbackReceiver):
    """`/hook/0` answers after SLOW_RECEIVER_S, the rest at once (their arrivals noted)."""

    def __init__(self) -> None:
        super().__init__()
        self.slow_count = 0
        self.fast_arrivals: dict[str, float] = {}

    async def _handle(self, request: web.Request) -> web.Response:
        await request.read()
        if request.path == "/hook/0":
            await asyncio.sleep(SLOW_RECEIVER_S)
            self.slow_count += 1
        else:
            self.fast_arrivals.setdefault(request.path, time.monotonic())
            self.changed.set()
        return web.Response(status=204)

    def reset_fast(self) -> None:
        self.fast_arrivals = {}

    async def wait_for_fast(self, count: int, timeout: float) -> None:
        await self.wait_until(lambda: len(self.fast_arrivals) >= count, timeout)


async def run(bench: Bench, stages: list[int], args: argparse.Namespace) -> dict[str, object]:
    connector = aiohttp.TCPConnector(limit=HOT_USERS + 8)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as client:
        connection = await asyncpg.connect(bench.dsn)
        await connection.execute(UUID7_FUNCTION)
        try:
            await bench.sign_up(client)
            bench.seeded = 0
            found: list[dict[str, object]] = []
            for avatars in stages:
                grown = time.monotonic()
                await bench.grow(connection, avatars)
                grown = time.monotonic() - grown
                paths, pages = await bench.read_paths(client, connection, avatars)
                stage: dict[str, object] = {"avatars": avatars, "seeding_s": round(grown, 1), "deep_pages": pages}
                stage.update(bench.reads(paths, args.seconds))
                stage.update(await bench.logins_and_refreshes(client))
                found.append(stage)
                print(f"stage {avatars:,}: {json.dumps(stage)}", file=sys.stderr)
            hot = await bench.hot_avatar(client, connection, args.hot_seconds)
            print(f"hot avatar: {json.dumps(hot)}", file=sys.stderr)
            fairness = await bench.webhook_fairness(client, connection, args.fan_outs)
            print(f"webhook fairness: {json.dumps(fairness)}", file=sys.stderr)
        finally:
            await connection.close()
    return {"stages": found, "hot_avatar": hot, "webhook_fairness": fairness}


def check_targets(result: dict[str, object]) -> list[dict[str, object]]:
    stages: list[dict[str, dict[str, float]]] = result["stages"]  # type: ignore[assignment]
    checks: list[dict[str, object]] = []
    first, last = stages[0], stages[-1]
    for name in (*READS, "refresh"):
        ratio = last[name]["p50_ms"] / first[name]["p50_ms"] if first[name]["p50_ms"] else 0.0
        checks.append(
            {
                "check": f"{name}: p50 last stage / first",
                "value": round(ratio, 2),
                "target": f"<= {FLAT}",
                "met": ratio <= FLAT,
            }
        )
    hot: dict[str, object] = result["hot_avatar"]  # type: ignore[assignment]
    checks.append(
        {
            "check": "hot avatar: answers 5xx other than 503 (shed)",
            "value": hot["server_errors"],
            "target": "0",
            "met": hot["server_errors"] == 0,
        }
    )
    checks.append(
        {"check": "hot avatar: likes_count exact", "value": hot["exact"], "target": "true", "met": hot["exact"]}
    )
    fair: dict[str, object] = result["webhook_fairness"]  # type: ignore[assignment]
    checks.append(
        {
            "check": f"webhooks: deliveries later than {FAIR_WAIT_S:.0f} s behind the backlog",
            "value": fair["starved"],
            "target": "0",
            "met": fair["starved"] == 0,
        }
    )
    return checks


def print_report(result: dict[str, object], checks: list[dict[str, object]]) -> None:
    stages: list[dict[str, dict[str, float]]] = result["stages"]  # type: ignore[assignment]
    names = (*READS, "login", "refresh")
    print(f"{'avatars and sessions':>22} " + " ".join(f"{name + ' p50/p99 ms':>22}" for name in names))
    for stage in stages:
        cells = " ".join(f"{stage[name]['p50_ms']:>11.2f}/{stage[name]['p99_ms']:<10.2f}" for name in names)
        print(f"{stage['avatars']:>22,} {cells}")
    print(f"\nhot avatar: {json.dumps(result['hot_avatar'])}")
    print(f"webhook fairness: {json.dumps(result['webhook_fairness'])}\n")
    for check in checks:
        verdict = "met" if check["met"] else "NOT met"
        print(f"  {check['check']:<58} {check['value']!s:>8}  (target {check['target']}: {verdict})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stages", default="10000,100000,1000000", help="avatars (and sessions) at each stage")
    parser.add_argument("--seconds", type=int, default=3, help="wrk's time per read and stage")
    parser.add_argument("--hot-seconds", type=float, default=10.0)
    parser.add_argument("--fan-outs", type=int, default=3, help="avatars created, each to 1,000 endpoints")
    parser.add_argument("--output", type=Path, default=RESULTS / "scale.json")
    args = parser.parse_args()
    stages = [int(value) for value in args.stages.split(",")]

    compile_bytecode()
    os.sched_setaffinity(0, {int(LOAD_CORE)})
    work = Path(tempfile.mkdtemp(prefix="avatar-bench-scale-"))
    key_file = work / "jwt.pem"
    key_file.write_bytes(generate_private_key_pem())
    with database() as admin_dsn:
        dsn = asyncio.run(prepare_database(admin_dsn))
        spec = ours_for_scripts(
            "ours (as shipped, webhooks to loopback allowed)",
            dsn,
            work / "data",
            JWT_PRIVATE_KEY=f"@{key_file}",
            ACCESS_TOKEN_TTL_SECONDS="3600",  # noqa: S106 - a lifetime, not a password
            WEBHOOK_ALLOW_HTTP="true",
            OUTBOUND_ALLOWED_NETWORKS="127.0.0.1/32:*",
            DB_POOL_MIN_SIZE="10",
            DB_POOL_MAX_SIZE="10",
        )
        with start(spec, free_port(), work / "serve.log") as running:
            result = asyncio.run(run(Bench(running.url, dsn, key_file, work), stages, args))
    checks = check_targets(result)
    print_report(result, checks)
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "method": {"stages": stages, "seconds": args.seconds, "connections": 8, "hot_seconds": args.hot_seconds},
        **result,
        "targets": checks,
    }
    args.output.parent.mkdir(exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n")
    chart = subprocess.run(  # noqa: S603
        [
            "uv", "run", "--no-project", "--quiet", "--with", "matplotlib>=3.9", "python",
            str(BENCH / "chart.py"), "--scale", str(args.output), str(args.output.with_suffix(".png")),
        ],
        check=False,
    )  # fmt: skip
    if chart.returncode != 0:
        print("the chart could not be drawn (matplotlib from PyPI); the table and JSON are written", file=sys.stderr)
    print(f"wrote {args.output}")
    return 0 if all(check["met"] for check in checks if check.get("kind") != "latency") else 1


if __name__ == "__main__":
    raise SystemExit(main())

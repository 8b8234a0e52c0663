"""More than one worker, and more than one instance behind a load balancer.

    uv run python bench/multi.py                  # 3 rounds x 5 s at 64 connections
    BENCH_REDIS_URL=redis://127.0.0.1:6379/0 uv run python bench/multi.py

On one machine, one run, rounds interleaved, each of:

- `1 worker`: `WORKERS=1`, pinned to core 0, wrk on core 1 (bench/run.py's setting);
- `2 workers`: `WORKERS=2`, unpinned: the workers, PostgreSQL and wrk share both cores;
- `3 instances + HAProxy`: three instances of one worker each, unpinned, behind HAProxy
  (Debian's, HTTP mode, round robin, keep-alive to the backends) on loopback, sharing
  rate limits and idempotency keys through Redis (`BENCH_REDIS_URL`, default the local
  one; the run stops if it does not answer).

For GET by id and create: requests per second, p50, p99, and where the machine's CPU
went (the service's processes, PostgreSQL, Redis, HAProxy, wrk, as shares of all cores),
which says what the bottleneck is. Output: a table and `bench/results/multi.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    ENDPOINTS,
    RESULTS,
    ServerSpec,
    free_port,
    own_stat,
    process_stat,
    session,
    start,
    wrk,
)

VARIANTS = ("one_worker", "two_workers", "three_instances")
POSTGRES = {"postgres", "postmaster"}
REDIS = {"redis-server"}
NAMES = {
    "one_worker": "1 worker (pinned)",
    "two_workers": "2 workers",
    "three_instances": "3 instances + HAProxy",
}


def haproxy_config(port: int, backends: list[str]) -> str:
    servers_ = "\n".join(f"    server app{n} {url.removeprefix('http://')}" for n, url in enumerate(backends))
    return f"""global
    maxconn 4096
defaults
    mode http
    option http-keep-alive
    timeout connect 2s
    timeout client 30s
    timeout server 30s
frontend api
    bind 127.0.0.1:{port}
    default_backend instances
backend instances
    balance roundrobin
{servers_}
"""


@contextmanager
def haproxy_running(config: Path, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """HAProxy on `config` (with `env` added to ours), stopped at the end."""
    process = subprocess.Popen(  # noqa: S603
        ["haproxy", "-f", str(config)],
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        time.sleep(0.5)
        if process.poll() is not None:
            raise RuntimeError(f"haproxy did not start on {config}")
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def haproxy(backends: list[str], work: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = free_port()
    config = work / "haproxy.cfg"
    config.write_text(haproxy_config(port, backends))
    with haproxy_running(config) as process:
        yield f"http://127.0.0.1:{port}", process


def pids_named(names: set[str]) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in names:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def cpu_of(names: set[str]) -> float:
    """CPU seconds of every process with one of these names (PostgreSQL forks a backend per
    connection, so they are found by name, each time)."""
    return sum(own_stat(pid)[0] for pid in pids_named(names))


def measure_one(
    url: str,
    *,
    service_pids: list[int],
    extra: dict[str, int],
    endpoint_key: str,
    args: argparse.Namespace,
    load_env: dict[str, str],
) -> dict[str, object]:
    endpoint = ENDPOINTS[endpoint_key]
    wrk(url, endpoint, 16, 1, load_env, cores=None)  # warm-up
    before_service = sum(process_stat(pid)[0] for pid in service_pids)
    before_extra = {name: process_stat(pid)[0] for name, pid in extra.items()}
    before_pg = cpu_of(POSTGRES)
    before_redis = cpu_of(REDIS)
    before_self = os.times()
    wall = time.monotonic()
    figures = wrk(url, endpoint, args.connections, args.seconds, load_env, cores=None)
    elapsed = time.monotonic() - wall
    after_self = os.times()
    cores = os.cpu_count() or 1
    share = {
        "service": (sum(process_stat(pid)[0] for pid in service_pids) - before_service) / elapsed / cores,
        "postgres": (cpu_of(POSTGRES) - before_pg) / elapsed / cores,
        "redis": (cpu_of(REDIS) - before_redis) / elapsed / cores,
        # wrk is a child of this process: its CPU shows in our children's times once it exited.
        "wrk": (
            after_self.children_user
            + after_self.children_system
            - before_self.children_user
            - before_self.children_system
        )
        / elapsed
        / cores,
        **{name: (process_stat(pid)[0] - before_extra[name]) / elapsed / cores for name, pid in extra.items()},
    }
    return {
        "endpoint": endpoint.name,
        "rps": figures["rps"],
        "p50_ms": figures["p50_ms"],
        "p99_ms": figures["p99_ms"],
        "non_2xx": int(figures["non_2xx"]),
        "cpu_share": {name: round(value, 3) for name, value in share.items()},
    }


def run_variant(
    key: str, base: ServerSpec, args: argparse.Namespace, *, load_env: dict[str, str], work: Path, redis_url: str
) -> list[dict[str, object]]:
    found = []
    with ExitStack() as stack:
        extra: dict[str, int] = {}
        if key == "one_worker":
            running = [stack.enter_context(start(base, free_port(), work / f"{key}.log"))]
            url = running[0].url
        elif key == "two_workers":
            spec = ServerSpec("2 workers", base.command, {**base.env, "WORKERS": "2"}, cores=None)
            running = [stack.enter_context(start(spec, free_port(), work / f"{key}.log"))]
            url = running[0].url
        else:
            spec = ServerSpec("instance", base.command, {**base.env, "REDIS_URL": redis_url}, cores=None)
            running = [stack.enter_context(start(spec, free_port(), work / f"{key}-{n}.log")) for n in range(3)]
            url, proxy = stack.enter_context(haproxy([each.url for each in running], work))
            extra["haproxy"] = proxy.pid
        for endpoint_key in args.endpoints.split(","):
            row = measure_one(
                url,
                service_pids=[each.process.pid for each in running],
                extra=extra,
                endpoint_key=endpoint_key,
                args=args,
                load_env=load_env,
            )
            found.append({"variant": key, **row})
    return found


def summarise(samples: list[dict[str, object]]) -> list[dict[str, object]]:
    rows = []
    for endpoint in dict.fromkeys(str(s["endpoint"]) for s in samples):
        one = statistics.median(
            float(str(s["rps"])) for s in samples if s["endpoint"] == endpoint and s["variant"] == "one_worker"
        )
        for variant in VARIANTS:
            mine = [s for s in samples if s["endpoint"] == endpoint and s["variant"] == variant]
            if not mine:
                continue
            rps = statistics.median(float(str(s["rps"])) for s in mine)
            shares: dict[str, float] = {}
            for name in mine[0]["cpu_share"]:  # type: ignore[attr-defined]
                shares[name] = round(statistics.median(float(s["cpu_share"][name]) for s in mine), 3)  # type: ignore[index]
            rows.append(
                {
                    "endpoint": endpoint,
                    "variant": variant,
                    "rps": round(rps),
                    "vs_one_worker": round(rps / one, 2) if one else None,
                    "p50_ms": round(statistics.median(float(str(s["p50_ms"])) for s in mine), 2),
                    "p99_ms": round(statistics.median(float(str(s["p99_ms"])) for s in mine), 2),
                    "non_2xx": sum(int(str(s["non_2xx"])) for s in mine),
                    "cpu_share": shares,
                    "idle_share": round(max(0.0, 1 - sum(shares.values())), 3),
                }
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", default="by_id,create")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--output", type=Path, default=RESULTS / "multi.json")
    args = parser.parse_args()
    for tool in ("wrk", "haproxy"):
        if shutil.which(tool) is None:
            sys.exit(f"bench/multi.py needs `{tool}` (Debian: apt-get install wrk haproxy)")
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    import redis  # noqa: PLC0415

    try:
        redis.Redis.from_url(redis_url, socket_timeout=2).ping()
    except redis.RedisError as exc:
        sys.exit(f"bench/multi.py needs Redis at BENCH_REDIS_URL ({redis_url}): {exc}")

    samples: list[dict[str, object]] = []
    with session("avatar-bench-multi-", pinned=False) as bench:
        for round_number in range(args.rounds):
            order = VARIANTS[round_number % len(VARIANTS) :] + VARIANTS[: round_number % len(VARIANTS)]
            for key in order:
                samples += run_variant(
                    key,
                    bench.specs["ours"],
                    args,
                    load_env=bench.fresh_load_env(),
                    work=bench.work,
                    redis_url=redis_url,
                )
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
    rows = summarise(samples)
    header = f"{'endpoint':<26} {'variant':<24} {'req/s':>7} {'x 1':>5} {'p50 ms':>7} {'p99 ms':>8}  CPU share"
    print(header)
    print("-" * len(header))
    for row in rows:
        shares = ", ".join(f"{name} {value:.0%}" for name, value in row["cpu_share"].items())  # type: ignore[attr-defined]
        print(
            f"{row['endpoint']:<26} {NAMES[str(row['variant'])]:<24} {row['rps']:>7} {row['vs_one_worker']:>5} "
            f"{row['p50_ms']:>7} {row['p99_ms']:>8}  {shares}, idle {row['idle_share']:.0%}"
        )
    result = {
        "generated_at": datetime.now(UTC).isoformat(),
        "machine": {"cpus": os.cpu_count()},
        "method": {"rounds": args.rounds, "seconds": args.seconds, "connections": args.connections},
        "rows": rows,
        "samples": samples,
    }
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

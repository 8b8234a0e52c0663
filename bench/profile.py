"""Where a worker's CPU goes, per request: py-spy samples our worker (or a peer) under load.

    uv run python bench/profile.py --endpoint by_id              # ours, 10 s at 64 connections
    uv run python bench/profile.py --endpoint me --server litestar

The server runs as in bench/run.py (one worker pinned to core 0, wrk on core 1); py-spy
(from PyPI, run with `uv run --with py-spy`) samples the worker 250 times a second with
`--nonblocking` (the worker is not paused). Reported: the share of samples, and so of the
worker's CPU, spent inside each layer (inclusive: a frame of the layer anywhere on the
stack; the first matching layer from the top of the stack wins, so the rows add up to 100%),
and the functions with the most samples of their own. Output: a table and
`bench/results/profile-<server>-<endpoint>.json`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    ENDPOINTS,
    LOAD_CORE,
    RESULTS,
    descendants,
    free_port,
    session,
    start,
    wrk,
)

# (layer, how a frame's file path shows it), the first that matches a frame names its layer.
LAYERS = (
    ("our edge (src/core/http/edge.py, read_retry.py)", ("src/core/http/edge.py", "src/core/http/read_retry.py")),
    ("our access log and metrics", ("src/core/observability/",)),
    ("our checks (rate limit, auth, strict query/body)", ("src/core/http/",)),
    ("our data access (Database, waiting line)", ("src/core/data/",)),
    ("our other kernel code", ("src/core/",)),
    ("the route's own code (src/features)", ("src/features/", "bench/peers/")),
    ("asyncpg", ("asyncpg/",)),
    ("Litestar", ("litestar/",)),
    ("msgspec", ("msgspec/",)),
    ("prometheus_client", ("prometheus_client/",)),
    ("structlog", ("structlog/",)),
    ("asyncio and uvloop", ("asyncio/", "uvloop/")),
    ("Granian", ("granian/",)),
)


def layer_of(frames: list[str]) -> str:
    """`frames` innermost first (py-spy's raw format lists the outermost first)."""
    for frame in frames:
        for name, markers in LAYERS:
            if any(marker in frame for marker in markers):
                return name
    return "other (interpreter, C code, idle)"


def parse(raw: str) -> tuple[Counter[str], Counter[str], int]:
    """py-spy's collapsed stacks: `frame;frame;... count` per line, outermost first."""
    layers: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        total += count
        innermost_first = frames[::-1]
        layers[layer_of(innermost_first)] += count
        own[innermost_first[0]] += count
    return layers, own, total


def worker_pid(server_pid: int) -> int:
    """The serving process: the leaf of the server's tree (Granian's worker)."""
    leaves = [pid for pid in descendants(server_pid) if not descendants(pid)[1:]]
    return max(leaves)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default="by_id", help=f"one of {', '.join(ENDPOINTS)}")
    parser.add_argument("--server", default="ours", help="ours, litestar, limit (bench/run.py's keys)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--output", type=Path, help="default: bench/results/profile-<server>-<endpoint>.json")
    args = parser.parse_args()

    endpoint = ENDPOINTS[args.endpoint]
    with session("avatar-bench-profile-") as bench:
        specs = bench.specs
        load_env = bench.load_env
        raw_file = bench.work / "stacks.txt"
        with start(specs[args.server], free_port(), bench.work / "server.log") as running:
            wrk(running.url, endpoint, 16, 2, load_env)  # warm-up
            pid = worker_pid(running.process.pid)
            load = threading.Thread(
                target=wrk, args=(running.url, endpoint, args.connections, args.seconds + 2, load_env), daemon=True
            )
            load.start()
            time.sleep(1)
            subprocess.run(  # noqa: S603
                [
                    "taskset", "-c", LOAD_CORE,
                    "uv", "run", "--no-project", "--quiet", "--with", "py-spy>=0.4", "py-spy", "record",
                    "--pid", str(pid), "--duration", str(args.seconds), "--rate", "250", "--nonblocking",
                    "--format", "raw", "--output", str(raw_file),
                ],
                check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            load.join()
    layers, own, total = parse(raw_file.read_text())
    print(f"{specs[args.server].name}, {endpoint.name}: {total} samples")
    print("\nshare of the worker's samples, by layer (innermost layer of each sample):")
    for name, count in layers.most_common():
        print(f"  {name:<52} {count / total:>6.1%}")
    print(f"\nthe {args.top} functions with the most samples of their own:")
    for frame, count in own.most_common(args.top):
        print(f"  {count / total:>6.1%}  {frame[:150]}")
    result = {
        "generated_at": datetime.now(UTC).isoformat(),
        "server": args.server,
        "endpoint": endpoint.name,
        "samples": total,
        "layers": {name: round(count / total, 4) for name, count in layers.most_common()},
        "own": [{"frame": frame, "share": round(count / total, 4)} for frame, count in own.most_common(args.top)],
    }
    output = args.output or RESULTS / f"profile-{args.server}-{args.endpoint}.json"
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

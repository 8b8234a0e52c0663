"""What tracing costs, in one run: our service with tracing off, and exporting over OTLP/HTTP
with every request sampled and with one in ten, against the same code as shipped before
(optional, `--baseline REF`: a git worktree of that commit, served the same way).

    uv run python bench/tracing.py                       # 4 rounds x 5 s at 64 connections
    uv run python bench/tracing.py --baseline f048bcf    # and the code of that commit

Method as bench/run.py: one worker pinned to core 0, wrk on core 1, rounds interleaved
(every variant once per round, each round starting with the next variant, so with as
many rounds as variants each runs once in every position). The exporter sends to a sink of ours on loopback (it
answers 200 to every batch, as a Collector does); requests carry no `traceparent`, so the
sampler decides. Reported per endpoint and variant: requests per second, the worker's CPU
per request (microseconds: CPU time over the requests served, the steadier figure) and
p99, each relative to tracing off. Output: a table and `bench/results/tracing.json`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    ENDPOINTS,
    RESULTS,
    ServerSpec,
    bench_credentials,
    compile_bytecode,
    database,
    free_port,
    fresh_token,
    prepare_database,
    process_stat,
    servers,
    start,
    wrk,
)

DEFAULT_ENDPOINTS = ("by_id", "list", "create", "me")


class _Sink(BaseHTTPRequestHandler):
    spans_bytes = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        _Sink.spans_bytes += len(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        return


def variants(base: ServerSpec, sink: str, baseline: Path | None) -> dict[str, ServerSpec]:
    exporting = {"OTEL_EXPORTER_OTLP_ENDPOINT": sink, "OTEL_TRACES_SAMPLER": "parentbased_traceidratio"}
    found = {
        "off": ServerSpec("tracing off", base.command, base.env),
        "on_100": ServerSpec(
            "tracing on, 100% sampled", base.command, {**base.env, **exporting, "OTEL_TRACES_SAMPLER_ARG": "1.0"}
        ),
        "on_10": ServerSpec(
            "tracing on, 10% sampled", base.command, {**base.env, **exporting, "OTEL_TRACES_SAMPLER_ARG": "0.1"}
        ),
    }
    if baseline is not None:
        # The same interpreter and packages; the baseline's own code first on the path.
        found["baseline"] = ServerSpec(
            "before tracing (baseline)", base.command, {**base.env, "PYTHONPATH": str(baseline)}, cwd=baseline
        )
    return found


def worktree(ref: str, into: Path) -> Path:
    path = into / "baseline"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), ref], check=True)  # noqa: S603
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", help="a git ref: its code is measured too, as it was")
    parser.add_argument("--endpoints", default=",".join(DEFAULT_ENDPOINTS))
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--output", type=Path, default=RESULTS / "tracing.json")
    args = parser.parse_args()

    RESULTS.mkdir(exist_ok=True)
    compile_bytecode()
    os.sched_setaffinity(0, {1})
    sink_server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    threading.Thread(target=sink_server.serve_forever, daemon=True).start()
    sink = f"http://127.0.0.1:{sink_server.server_address[1]}"
    work = Path(tempfile.mkdtemp(prefix="avatar-bench-tracing-"))
    baseline = worktree(args.baseline, work) if args.baseline else None
    from src.core.security.keys import generate_private_key_pem  # noqa: PLC0415

    key_file = work / "jwt.pem"
    key_file.write_bytes(generate_private_key_pem())
    ids_file = work / "ids.txt"
    try:
        with database() as admin_dsn:
            dsn = asyncio.run(prepare_database(admin_dsn))
            base = servers(dsn, key_file)["ours"]
            specs = variants(base, sink, baseline)
            with start(base, free_port(), work / "credentials.log") as ours:
                token = asyncio.run(bench_credentials(dsn, ours.url, ids_file))
            load_env = {"BENCH_TOKEN": token, "BENCH_IDS": str(ids_file)}
            samples = measure(specs, args, load_env=load_env, token=token, key_file=key_file, work=work)
    finally:
        sink_server.shutdown()
        if baseline is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)], check=False)  # noqa: S603
    rows = summarise(samples, list(specs))
    print_rows(rows, specs)
    result = {
        "generated_at": datetime.now(UTC).isoformat(),
        "method": {
            "rounds": args.rounds,
            "seconds": args.seconds,
            "connections": args.connections,
            "baseline": args.baseline,
        },
        "rows": rows,
        "samples": samples,
        "exported_bytes": _Sink.spans_bytes,
    }
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"exported {_Sink.spans_bytes:,} bytes of spans; wrote {args.output}")
    if not _Sink.spans_bytes:
        print("tracing on exported nothing: the measurement of its cost is void", file=sys.stderr)
        return 1
    return 0


def measure(
    specs: dict[str, ServerSpec],
    args: argparse.Namespace,
    *,
    load_env: dict[str, str],
    token: str,
    key_file: Path,
    work: Path,
) -> list[dict[str, object]]:
    samples: list[dict[str, object]] = []
    keys = list(specs)
    for round_number in range(args.rounds):
        # Each round starts with the next variant: whatever the previous variant's
        # creates leave behind (autovacuum, a checkpoint) falls on each in turn.
        for key in keys[round_number % len(keys) :] + keys[: round_number % len(keys)]:
            spec = specs[key]
            load_env["BENCH_TOKEN"] = fresh_token(token, key_file)
            with start(spec, free_port(), work / f"{key}.log") as running:
                for endpoint_key in args.endpoints.split(","):
                    endpoint = ENDPOINTS[endpoint_key]
                    wrk(running.url, endpoint, 16, 1, load_env)  # warm-up
                    cpu_before, _ = process_stat(running.process.pid)
                    wall = time.monotonic()
                    figures = wrk(running.url, endpoint, args.connections, args.seconds, load_env)
                    cpu, _ = process_stat(running.process.pid)
                    elapsed = time.monotonic() - wall
                    requests = figures["rps"] * elapsed
                    samples.append(
                        {
                            "variant": key,
                            "endpoint": endpoint.name,
                            "rps": figures["rps"],
                            "p99_ms": figures["p99_ms"],
                            "cpu_us_per_request": (cpu - cpu_before) * 1e6 / requests if requests else 0.0,
                            "non_2xx": int(figures["non_2xx"]),
                        }
                    )
        print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr)
    return samples


def summarise(samples: list[dict[str, object]], order: list[str]) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for endpoint in dict.fromkeys(str(s["endpoint"]) for s in samples):

        def median(variant: str, metric: str, endpoint: str = endpoint) -> float:
            values = [float(str(s[metric])) for s in samples if s["endpoint"] == endpoint and s["variant"] == variant]
            return statistics.median(values) if values else 0.0

        off_rps, off_cpu = median("off", "rps"), median("off", "cpu_us_per_request")
        for variant in order:
            rps, cpu = median(variant, "rps"), median(variant, "cpu_us_per_request")
            rows.append(
                {
                    "endpoint": endpoint,
                    "variant": variant,
                    "rps": round(rps),
                    "cpu_us_per_request": round(cpu, 1),
                    "p99_ms": round(median(variant, "p99_ms"), 2),
                    "rps_vs_off": round(rps / off_rps, 3) if off_rps else None,
                    "cpu_vs_off": round(cpu / off_cpu, 3) if off_cpu else None,
                }
            )
    return rows


def print_rows(rows: list[dict[str, object]], specs: dict[str, ServerSpec]) -> None:
    header = f"{'endpoint':<30} {'variant':<28} {'req/s':>8} {'x off':>6} {'CPU us/req':>10} {'x off':>6} {'p99 ms':>8}"
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['endpoint']:<30} {specs[str(row['variant'])].name:<28} {row['rps']:>8} {row['rps_vs_off']:>6} "
            f"{row['cpu_us_per_request']:>10} {row['cpu_vs_off']:>6} {row['p99_ms']:>8}"
        )


if __name__ == "__main__":
    raise SystemExit(main())

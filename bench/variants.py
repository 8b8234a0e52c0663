"""Measuring variants of one server against a reference, in one run: the harness that
bench/tracing.py and bench/ablation.py share.

Method as bench/run.py: one worker pinned to core 0, wrk on core 1, rounds interleaved
(every variant once per round, each round starting with the next variant, so with as many
rounds as variants each runs once in every position). Per endpoint and variant: requests
per second, the worker's CPU per request (microseconds: CPU time over the requests
served, the steadier figure) and p99, each also relative to the reference variant.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from bench.run import ENDPOINTS, ROOT, ServerSpec, Session, free_port, process_stat, start, wrk

__all__ = (
    "OtlpSink",
    "add_arguments",
    "baseline_checkout",
    "baseline_spec",
    "measure",
    "otlp_sink",
    "print_rows",
    "summarise",
)


class OtlpSink(BaseHTTPRequestHandler):
    """Stands in for an OpenTelemetry Collector: 200 to every batch, bytes counted."""

    spans_bytes = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        OtlpSink.spans_bytes += len(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        return


@contextmanager
def otlp_sink() -> Iterator[str]:
    """An OtlpSink on loopback, for as long as the block runs; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), OtlpSink)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@contextmanager
def baseline_checkout(ref: str | None, into: Path) -> Iterator[Path | None]:
    """A git worktree of `ref` (None: no baseline) for the block, removed after it."""
    if ref is None:
        yield None
        return
    path = into / "baseline"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), ref], check=True)  # noqa: S603
    try:
        yield path
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(path)], check=False)  # noqa: S603


def baseline_spec(name: str, base: ServerSpec, checkout: Path) -> ServerSpec:
    """`base` served from another checkout: the same interpreter and packages, that
    checkout's own code first on the path."""
    return ServerSpec(name, base.command, {**base.env, "PYTHONPATH": str(checkout)}, cwd=checkout)


def add_arguments(parser: argparse.ArgumentParser, *, endpoints: str, rounds: int, seconds: int) -> None:
    parser.add_argument("--endpoints", default=endpoints, help=f"of {', '.join(ENDPOINTS)}")
    parser.add_argument("--rounds", type=int, default=rounds)
    parser.add_argument("--seconds", type=int, default=seconds)
    parser.add_argument("--connections", type=int, default=64)


def measure(specs: dict[str, ServerSpec], args: argparse.Namespace, bench: Session) -> list[dict[str, object]]:
    samples: list[dict[str, object]] = []
    keys = list(specs)
    for round_number in range(args.rounds):
        # Each round starts with the next variant: whatever the previous variant's
        # creates leave behind (autovacuum, a checkpoint) falls on each in turn.
        for key in keys[round_number % len(keys) :] + keys[: round_number % len(keys)]:
            spec = specs[key]
            load_env = bench.fresh_load_env()
            with start(spec, free_port(), bench.work / f"{key}.log") as running:
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


def summarise(samples: list[dict[str, object]], order: list[str], reference: str) -> list[dict[str, object]]:
    """Medians over rounds per (endpoint, variant), with ratios to `reference`."""
    rows: list[dict[str, object]] = []
    for endpoint in dict.fromkeys(str(s["endpoint"]) for s in samples):

        def median(variant: str, metric: str, endpoint: str = endpoint) -> float:
            values = [float(str(s[metric])) for s in samples if s["endpoint"] == endpoint and s["variant"] == variant]
            return statistics.median(values) if values else 0.0

        ref_rps, ref_cpu = median(reference, "rps"), median(reference, "cpu_us_per_request")
        for variant in order:
            rps, cpu = median(variant, "rps"), median(variant, "cpu_us_per_request")
            rows.append(
                {
                    "endpoint": endpoint,
                    "variant": variant,
                    "rps": round(rps),
                    "cpu_us_per_request": round(cpu, 1),
                    "p99_ms": round(median(variant, "p99_ms"), 2),
                    "non_2xx": sum(
                        int(str(s["non_2xx"])) for s in samples if s["endpoint"] == endpoint and s["variant"] == variant
                    ),
                    f"rps_vs_{reference}": round(rps / ref_rps, 3) if ref_rps else None,
                    f"cpu_vs_{reference}": round(cpu / ref_cpu, 3) if ref_cpu else None,
                    "cpu_us_saved": round(ref_cpu - cpu, 1),
                }
            )
    return rows


def print_rows(rows: list[dict[str, object]], specs: dict[str, ServerSpec], reference: str) -> None:
    header = (
        f"{'endpoint':<30} {'variant':<36} {'req/s':>8} {'x ref':>6} {'CPU us/req':>10} {'x ref':>6} "
        f"{'p99 ms':>8} {'non-2xx':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row['endpoint']:<30} {specs[str(row['variant'])].name:<36} {row['rps']:>8} "
            f"{row[f'rps_vs_{reference}']:>6} {row['cpu_us_per_request']:>10} {row[f'cpu_vs_{reference}']:>6} "
            f"{row['p99_ms']:>8} {row['non_2xx']:>7}"
        )

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
import subprocess
import sys
import tempfile
import threading
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    RESULTS,
    ServerSpec,
    bench_credentials,
    compile_bytecode,
    database,
    free_port,
    prepare_database,
    servers,
    start,
)
from bench.variants import OtlpSink, add_arguments, measure, print_rows, summarise  # noqa: E402

DEFAULT_ENDPOINTS = "by_id,list,create,me"


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
    add_arguments(parser, endpoints=DEFAULT_ENDPOINTS, rounds=4, seconds=5)
    parser.add_argument("--output", type=Path, default=RESULTS / "tracing.json")
    args = parser.parse_args()

    RESULTS.mkdir(exist_ok=True)
    compile_bytecode()
    os.sched_setaffinity(0, {1})
    sink_server = ThreadingHTTPServer(("127.0.0.1", 0), OtlpSink)
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
    rows = summarise(samples, list(specs), "off")
    print_rows(rows, specs, "off")
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
        "exported_bytes": OtlpSink.spans_bytes,
    }
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"exported {OtlpSink.spans_bytes:,} bytes of spans; wrote {args.output}")
    if not OtlpSink.spans_bytes:
        print("tracing on exported nothing: the measurement of its cost is void", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

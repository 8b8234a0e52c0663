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
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import RESULTS, ServerSpec, session  # noqa: E402
from bench.variants import (  # noqa: E402
    OtlpSink,
    add_arguments,
    baseline_checkout,
    baseline_spec,
    measure,
    otlp_sink,
    print_rows,
    summarise,
)

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
        found["baseline"] = baseline_spec("before tracing (baseline)", base, baseline)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", help="a git ref: its code is measured too, as it was")
    add_arguments(parser, endpoints=DEFAULT_ENDPOINTS, rounds=4, seconds=5)
    parser.add_argument("--output", type=Path, default=RESULTS / "tracing.json")
    args = parser.parse_args()

    with (
        session("avatar-bench-tracing-") as bench,
        baseline_checkout(args.baseline, bench.work) as baseline,
        otlp_sink() as sink,
    ):
        specs = variants(bench.specs["ours"], sink, baseline)
        samples = measure(specs, args, bench)
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

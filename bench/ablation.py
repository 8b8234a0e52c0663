"""What each kernel component costs, in one run: our service as shipped, then with each
component switched off in turn (bench/ablated.py says what each switch removes), all of
them off, tracing on at 10%, and Litestar alone on the same work.

    uv run python bench/ablation.py                 # 3 rounds x 4 s at 64 connections
    uv run python bench/ablation.py --rounds 1 --seconds 2 --variants access_log,all
    uv run python bench/ablation.py --baseline eca6750 --variants all   # and that commit, as shipped

Method: bench/variants.py (one worker pinned to core 0, wrk on core 1, rounds interleaved
with the starting variant rotated). A component's cost is the worker's CPU per request
as shipped minus with that component off, in microseconds: the steadier figure than
requests per second on a 2-core machine. Output: a table and `bench/results/ablation.json`.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.ablated import SWITCHES  # noqa: E402
from bench.run import RESULTS, ServerSpec, session  # noqa: E402
from bench.variants import (  # noqa: E402
    add_arguments,
    baseline_checkout,
    baseline_spec,
    measure,
    otlp_sink,
    print_rows,
    summarise,
)

REFERENCE = "full"
DESCRIPTIONS = {
    "access_log": "the access log line",
    "info_logs": "info logging (LOG_LEVEL=warning)",
    "request_ids": "request ids",
    "metrics": "request metrics",
    "security_headers": "security headers, no-store",
    "rate_limit": "the rate-limit step",
    "auth_public": "the auth step on a public read",
    "strict_body": "strict bodies",
    "strict_query": "strict query strings",
    "read_retry": "read retry",
    "waiting_line": "the waiting line",
    "dependencies": "our providers (incl. the line)",
    "problem_mapping": "problem mapping (happy path)",
}


def variants(
    base: ServerSpec, peers: dict[str, ServerSpec], sink: str, baseline: Path | None = None
) -> dict[str, ServerSpec]:
    launcher = [sys.executable, "-m", "bench.ablated"]
    found = {REFERENCE: ServerSpec("ours, as shipped", launcher, dict(base.env))}
    for name in SWITCHES:
        found[name] = ServerSpec(f"without {DESCRIPTIONS[name]}", launcher, {**base.env, "BENCH_ABLATE": name})
    found["all"] = ServerSpec("without all of them", launcher, {**base.env, "BENCH_ABLATE": "all"})
    found["tracing_10"] = ServerSpec(
        "with tracing on, 10% sampled",
        launcher,
        {
            **base.env,
            "OTEL_EXPORTER_OTLP_ENDPOINT": sink,
            "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
            "OTEL_TRACES_SAMPLER_ARG": "0.1",
        },
    )
    found["litestar"] = peers["litestar"]
    if baseline is not None:
        found["baseline"] = baseline_spec("ours at the baseline commit", base, baseline)
    return found


def costs(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    """Per component and endpoint: CPU microseconds per request it costs (shipped minus off)."""
    table: list[dict[str, object]] = []
    measured = {str(row["variant"]) for row in rows}
    for variant in [name for name in [*SWITCHES, "all", "tracing_10", "baseline"] if name in measured]:
        entry: dict[str, object] = {"component": variant}
        for row in rows:
            if row["variant"] == variant:
                saved = float(str(row["cpu_us_saved"]))
                # Added work (tracing) and what the baseline spent more count the other way round.
                entry[str(row["endpoint"])] = round(-saved if variant in {"tracing_10", "baseline"} else saved, 1)
        table.append(entry)
    return table


def print_costs(table: list[dict[str, object]], endpoints: list[str]) -> None:
    print("\nCPU per request each component costs, in microseconds (shipped minus without it):")
    header = f"{'component':<34}" + "".join(f"{name[:24]:>26}" for name in endpoints)
    print(header)
    for entry in table:
        name = str(entry["component"])
        others = {
            "all": "all of them",
            "tracing_10": "tracing at 10% (added)",
            "baseline": "saved since the baseline commit",
        }
        label = DESCRIPTIONS.get(name, others.get(name, name))
        print(f"{label:<34}" + "".join(f"{entry.get(endpoint, ''):>26}" for endpoint in endpoints))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser, endpoints="by_id,list,create,me", rounds=3, seconds=4)
    parser.add_argument("--variants", help="a comma-separated subset (the shipped one is always measured)")
    parser.add_argument("--baseline", help="a git ref: its service as shipped is measured too (what cuts bought)")
    parser.add_argument("--output", type=Path, default=RESULTS / "ablation.json")
    args = parser.parse_args()

    with (
        session("avatar-bench-ablation-") as bench,
        baseline_checkout(args.baseline, bench.work) as baseline,
        otlp_sink() as sink,
    ):
        specs = variants(bench.specs["ours"], bench.specs, sink, baseline)
        if args.variants:
            wanted = {REFERENCE, *args.variants.split(","), *(["baseline"] if baseline else [])}
            specs = {key: spec for key, spec in specs.items() if key in wanted}
        samples = measure(specs, args, bench)
    rows = summarise(samples, list(specs), REFERENCE)
    print_rows(rows, specs, REFERENCE)
    endpoints = list(dict.fromkeys(str(row["endpoint"]) for row in rows))
    table = costs(rows)
    print_costs(table, endpoints)
    result = {
        "generated_at": datetime.now(UTC).isoformat(),
        "method": {
            "rounds": args.rounds,
            "seconds": args.seconds,
            "connections": args.connections,
            "baseline": args.baseline,
        },
        "variants": {key: spec.name for key, spec in specs.items()},
        "costs_us_per_request": table,
        "rows": rows,
        "samples": samples,
    }
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")
    failed = [f"{row['variant']} {row['endpoint']}" for row in rows if row["non_2xx"]]
    if failed:
        print(f"answers other than 2xx ({', '.join(failed)}): the variants did not do the same work", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

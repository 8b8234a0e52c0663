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

from bench.ablated import SWITCHES  # noqa: E402
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
from bench.tracing import worktree  # noqa: E402
from bench.variants import OtlpSink, add_arguments, measure, print_rows, summarise  # noqa: E402

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
        # That commit's service as shipped (its own code first on the path), served the same way.
        found["baseline"] = ServerSpec(
            "ours at the baseline commit", base.command, {**base.env, "PYTHONPATH": str(baseline)}, cwd=baseline
        )
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

    RESULTS.mkdir(exist_ok=True)
    compile_bytecode()
    os.sched_setaffinity(0, {1})
    sink_server = ThreadingHTTPServer(("127.0.0.1", 0), OtlpSink)
    threading.Thread(target=sink_server.serve_forever, daemon=True).start()
    sink = f"http://127.0.0.1:{sink_server.server_address[1]}"
    work = Path(tempfile.mkdtemp(prefix="avatar-bench-ablation-"))
    baseline = worktree(args.baseline, work) if args.baseline else None
    from src.core.security.keys import generate_private_key_pem  # noqa: PLC0415

    key_file = work / "jwt.pem"
    key_file.write_bytes(generate_private_key_pem())
    ids_file = work / "ids.txt"
    try:
        with database() as admin_dsn:
            dsn = asyncio.run(prepare_database(admin_dsn))
            peers = servers(dsn, key_file)
            specs = variants(peers["ours"], peers, sink, baseline)
            if args.variants:
                wanted = {REFERENCE, *args.variants.split(","), *(["baseline"] if baseline else [])}
                specs = {key: spec for key, spec in specs.items() if key in wanted}
            with start(peers["ours"], free_port(), work / "credentials.log") as ours:
                token = asyncio.run(bench_credentials(dsn, ours.url, ids_file))
            load_env = {"BENCH_TOKEN": token, "BENCH_IDS": str(ids_file)}
            samples = measure(specs, args, load_env=load_env, token=token, key_file=key_file, work=work)
    finally:
        sink_server.shutdown()
        if baseline is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)], check=False)  # noqa: S603
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

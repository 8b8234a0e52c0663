"""What the development log format costs against production's JSON, per request.

    uv run python bench/log_format.py            # 3 rounds x 5 s per format, GET by id, 64 connections

`uv run api serve` logs in the console format (readable text) unless APP_ENV=production;
the image logs JSON. Both write the access line of every request at `info`. The service
runs as in bench/run.py (one worker pinned to core 0, wrk and PostgreSQL on core 1), once
per format and round, interleaved; reported: requests per second and the worker's CPU per
request, in microseconds, median over rounds. Output: a table and
`bench/results/log-format.json`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import ENDPOINTS, RESULTS, cpu_per_request, free_port, ours_for_scripts, session, start  # noqa: E402

FORMATS = ("json", "console")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS / "log-format.json")
    args = parser.parse_args()
    endpoint = ENDPOINTS["by_id"]
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in FORMATS}
    with session("avatar-log-format-") as bench:
        for _ in range(args.rounds):
            for name in FORMATS:
                spec = ours_for_scripts(
                    f"ours, LOG_FORMAT={name}", bench.dsn, bench.work / "data", LOG_FORMAT=name, LOG_LEVEL="info"
                )
                with start(spec, free_port(), bench.work / f"{name}.log") as running:
                    load_env = bench.fresh_load_env()
                    cpu, figures = cpu_per_request(
                        running.url, endpoint, load_env, running.process.pid, seconds=args.seconds
                    )
                samples[name].append((figures["rps"], cpu))
    rows = {
        name: {
            "rps": round(statistics.median(rps for rps, _ in values), 1),
            "cpu_us_per_request": round(statistics.median(cpu for _, cpu in values), 1),
        }
        for name, values in samples.items()
    }
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "method": {"endpoint": endpoint.name, "connections": 64, "rounds": args.rounds, "seconds": args.seconds},
        "formats": rows,
        "console_minus_json_us": round(rows["console"]["cpu_us_per_request"] - rows["json"]["cpu_us_per_request"], 1),
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    for name, row in rows.items():
        print(
            f"LOG_FORMAT={name:8} {row['rps']:>8.0f} requests/s  {row['cpu_us_per_request']:>6.0f} us CPU per request"
        )
    print(f"the console format costs {report['console_minus_json_us']} us per request more than JSON")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""What verifying an API key costs against a JWT, per request.

    uv run python bench/api_keys.py            # 3 rounds x 5 s per credential and endpoint, 64 connections

The service as in bench/run.py (one worker pinned to core 0, wrk and PostgreSQL on core 1).
Two reads, each with the session's access token and with an API key of the same user,
interleaved per round:

- `GET /api/v1/users/me` (`account:read`): a `user` route, so both credentials are checked
  in the database on every request (the session, or the key), on the request's connection;
- `GET /api/v1/avatars/{id}` (`avatars:read`): a public read that personalises, where a
  JWT's signature check is remembered per worker and a key is verified in the database at
  most once a second per worker (`VerifiedKeys`).

Reported: requests per second and the worker's CPU per request in microseconds, the
medians over rounds, and the key's difference. Output: a table and
`bench/results/api-keys.json`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.run import RESULTS, Endpoint, cpu_per_request, free_port, session, start  # noqa: E402

CREDENTIALS = ("jwt", "api_key")


def make_key(url: str, token: str) -> str:
    created = httpx.post(
        f"{url}/api/v1/api-keys",
        json={"name": "bench", "scopes": ["account:read", "avatars:read"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    created.raise_for_status()
    key: str = created.json()["key"]
    return key


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--output", type=Path, default=RESULTS / "api-keys.json")
    args = parser.parse_args()
    samples: dict[tuple[str, str], list[tuple[float, float]]] = {}
    with session("avatar-api-keys-") as bench:
        avatar = Path(bench.load_env["BENCH_IDS"]).read_text().split()[0]
        endpoints = {
            "me": Endpoint("GET /api/v1/users/me", "authenticated_get", env={"BENCH_PATH": "/api/v1/users/me"}),
            "by_id": Endpoint(
                "GET /api/v1/avatars/{id}", "authenticated_get", env={"BENCH_PATH": f"/api/v1/avatars/{avatar}"}
            ),
        }
        spec = bench.specs["ours"]
        with start(spec, free_port(), bench.work / "api-keys.log") as running:
            key = make_key(running.url, bench.fresh_load_env()["BENCH_TOKEN"])
            for _ in range(args.rounds):
                for endpoint_key, endpoint in endpoints.items():
                    for credential in CREDENTIALS:
                        load_env = bench.fresh_load_env()
                        env = {**load_env, "BENCH_TOKEN": key} if credential == "api_key" else load_env
                        cpu, figures = cpu_per_request(
                            running.url, endpoint, env, running.process.pid, seconds=args.seconds
                        )
                        if figures["non_2xx"]:
                            raise SystemExit(f"{endpoint.name} with {credential}: {figures['non_2xx']} answers not 2xx")
                        samples.setdefault((endpoint_key, credential), []).append((figures["rps"], cpu))
    rows: dict[str, dict[str, dict[str, float]]] = {}
    for (endpoint_key, credential), values in samples.items():
        rows.setdefault(endpoint_key, {})[credential] = {
            "rps": round(statistics.median(rps for rps, _ in values), 1),
            "cpu_us_per_request": round(statistics.median(cpu for _, cpu in values), 1),
        }
    key_minus_jwt = {
        name: round(row["api_key"]["cpu_us_per_request"] - row["jwt"]["cpu_us_per_request"], 1)
        for name, row in rows.items()
    }
    report = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "method": {"connections": 64, "rounds": args.rounds, "seconds": args.seconds},
        "endpoints": rows,
        "key_minus_jwt_us": key_minus_jwt,
    }
    args.output.write_text(json.dumps(report, indent=2) + "\n")
    for name, row in rows.items():
        for credential, figures in row.items():
            rps, cpu = figures["rps"], figures["cpu_us_per_request"]
            print(f"{name:6} {credential:8} {rps:>8.0f} requests/s  {cpu:>6.0f} us CPU per request")
        print(f"{name:6} an API key costs {key_minus_jwt[name]} us per request more than a JWT")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Prometheus metrics at `/metrics`.

Request metrics come from Litestar's Prometheus integration (`PrometheusMiddleware`,
route-level): `avatar_api_requests_total{method,path,status_code}` with the route
template as `path`, `avatar_api_request_duration_seconds` (histogram),
`avatar_api_requests_in_progress` and `avatar_api_requests_error_total`. This module adds
what it cannot see: requests that matched no route, rate-limit rejections and store
errors, and the asyncpg pool's connections.

Several Granian workers: `api serve` points `PROMETHEUS_MULTIPROC_DIR` at an empty
directory before the workers start, so each worker writes its samples there and a
scrape (answered by any worker) aggregates all of them. See docs/operations.md.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from litestar.plugins.prometheus import PrometheusConfig
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, multiprocess

from src.core.database import Database

__all__ = (
    "METRICS_PATH",
    "MULTIPROCESS_DIR_VARIABLE",
    "POOL_CONNECTIONS",
    "RATE_LIMITED",
    "RATE_LIMIT_STORE_ERRORS",
    "UNMATCHED_REQUESTS",
    "forget_dead_workers",
    "prometheus_config",
    "record_pool",
    "registry",
)

METRICS_PATH: Final = "/metrics"
MULTIPROCESS_DIR_VARIABLE: Final = "PROMETHEUS_MULTIPROC_DIR"
_PREFIX: Final = "avatar_api"

prometheus_config = PrometheusConfig(
    app_name=_PREFIX,
    prefix=_PREFIX,
    group_path=True,  # label by route template, not by raw path (bounded cardinality)
    exclude=[f"^{METRICS_PATH}$"],
    buckets=[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
)

UNMATCHED_REQUESTS = Counter(
    f"{_PREFIX}_unmatched_requests_total", "Requests that matched no route", ["method", "status_code"]
)
RATE_LIMITED = Counter(f"{_PREFIX}_rate_limited_total", "Requests rejected by a rate limit", ["policy"])
RATE_LIMIT_STORE_ERRORS = Counter(
    f"{_PREFIX}_rate_limit_store_errors_total", "Rate-limit store (Redis) failures; limits fell back to the worker"
)
POOL_CONNECTIONS = Gauge(
    f"{_PREFIX}_db_pool_connections",
    "asyncpg pool connections, summed over live workers",
    ["state"],
    multiprocess_mode="livesum",
)


def record_pool(database: Database) -> None:
    stats = database.stats()
    POOL_CONNECTIONS.labels("open").set(stats["size"])
    POOL_CONNECTIONS.labels("idle").set(stats["idle"])
    POOL_CONNECTIONS.labels("in_use").set(stats["size"] - stats["idle"])
    POOL_CONNECTIONS.labels("max").set(stats["max"])


def forget_dead_workers() -> None:
    """Drop live-gauge samples of worker processes that no longer exist (respawned workers)."""
    directory = os.environ.get(MULTIPROCESS_DIR_VARIABLE)
    if not directory:
        return
    for path in Path(directory).glob("gauge_live*_*.db"):
        pid = path.stem.rpartition("_")[2]
        if pid.isdigit() and not _process_exists(int(pid)):
            multiprocess.mark_process_dead(int(pid), directory)  # type: ignore[no-untyped-call]


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def registry() -> CollectorRegistry:
    """This process's registry, or one aggregating every worker's samples in multiprocess mode."""
    if os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        aggregated = CollectorRegistry()
        multiprocess.MultiProcessCollector(aggregated)  # type: ignore[no-untyped-call]
        return aggregated
    return REGISTRY

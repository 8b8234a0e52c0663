"""Prometheus metrics at `/metrics`.

| metric | labels |
|---|---|
| `avatar_api_requests_total` | method (unknown ones: `other`), path (route template or `(unmatched)`), status_code |
| `avatar_api_request_duration_seconds` (histogram) | method, path |
| `avatar_api_requests_in_progress` | |
| `avatar_api_db_pool_connections` | state: open, idle, in_use, max; `waiting`: requests in line for one |
| `avatar_api_rate_limited_total` | policy |
| `avatar_api_rate_limit_store_errors_total` | |

Request metrics are recorded by the edge middleware, which already knows the route
template, status and duration of every request (matched or not). Litestar's
`PrometheusMiddleware` was measured at about 100 us of CPU per request on this stack (it
builds a Request and label dictionaries and looks the labelled series up four times per
request), doubling the cost of a trivial endpoint; here each (method, path, status)
series is looked up once and cached. Every label is bounded whatever a client sends: the
method by `KNOWN_METHODS`, the path by the route table, the status by HTTP.

Several Granian workers: `api serve` points `PROMETHEUS_MULTIPROC_DIR` at an empty
directory before the workers start, so each worker writes its samples there and a
scrape (answered by any worker) aggregates all of them. See docs/operations.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Final, Protocol

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, multiprocess

__all__ = (
    "METRICS_PATH",
    "MULTIPROCESS_DIR_VARIABLE",
    "POOL_CONNECTIONS",
    "RATE_LIMITED",
    "RATE_LIMIT_STORE_ERRORS",
    "WEBHOOK_ATTEMPTS",
    "WEBHOOK_ATTEMPT_DURATION",
    "PoolStatistics",
    "RequestMetrics",
    "forget_dead_workers",
    "record_pool",
    "registry",
    "webhook_outcome",
)

METRICS_PATH: Final = "/metrics"
MULTIPROCESS_DIR_VARIABLE: Final = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED: Final = "(unmatched)"
# The methods the API answers; anything else a client sends is counted as `other`.
KNOWN_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD: Final = "other"
_PREFIX: Final = "avatar_api"
_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(f"{_PREFIX}_requests_total", "Requests answered", ["method", "path", "status_code"])
REQUEST_DURATION = Histogram(
    f"{_PREFIX}_request_duration_seconds", "Time to answer a request", ["method", "path"], buckets=_BUCKETS
)
IN_PROGRESS = Gauge(f"{_PREFIX}_requests_in_progress", "Requests being answered", multiprocess_mode="livesum")
RATE_LIMITED = Counter(f"{_PREFIX}_rate_limited_total", "Requests rejected by a rate limit", ["policy"])
RATE_LIMIT_STORE_ERRORS = Counter(
    f"{_PREFIX}_rate_limit_store_errors_total", "Rate-limit store (Redis) failures; limits fell back to the worker"
)
WEBHOOK_ATTEMPTS = Counter(
    f"{_PREFIX}_webhook_attempts_total",
    "Webhook delivery attempts by outcome: delivered, http_4xx, http_5xx, timeout, connection_error...",
    ["outcome"],
)
WEBHOOK_ATTEMPT_DURATION = Histogram(
    f"{_PREFIX}_webhook_attempt_duration_seconds", "Time a webhook receiver took to answer", buckets=_BUCKETS
)
POOL_CONNECTIONS = Gauge(
    f"{_PREFIX}_db_pool_connections",
    "asyncpg pool connections, summed over live workers (waiting: requests in line for one)",
    ["state"],
    multiprocess_mode="livesum",
)


class RequestMetrics:
    """Records one request. Series are cached per label set: bounded by routes x methods x statuses."""

    __slots__ = ("_counters", "_durations")

    def __init__(self) -> None:
        self._counters: dict[tuple[str, str, int], Counter] = {}
        self._durations: dict[tuple[str, str], Histogram] = {}

    def started(self) -> None:
        IN_PROGRESS.inc()

    def finished(self, method: str, route: str | None, status: int, seconds: float) -> None:
        IN_PROGRESS.dec()
        path = route or UNMATCHED
        if method not in KNOWN_METHODS:  # any token is a method to HTTP; a label set must stay bounded
            method = OTHER_METHOD
        key = (method, path, status)
        counter = self._counters.get(key)
        if counter is None:
            counter = self._counters[key] = REQUESTS.labels(method, path, str(status))
        counter.inc()
        duration = self._durations.get(key[:2])
        if duration is None:
            duration = self._durations[key[:2]] = REQUEST_DURATION.labels(method, path)
        duration.observe(seconds)


def webhook_outcome(error: str | None) -> str:
    """A bounded label for an attempt: `http_503` counts as `http_5xx`."""
    if error is None:
        return "delivered"
    if error.startswith("http_") and error[5:].isdigit():
        return f"http_{error[5]}xx"
    return error


class PoolStatistics(Protocol):
    """What the pool gauges read (`core.data.database.Database` is one): observability
    imports nothing of the layers it observes."""

    def stats(self) -> Mapping[str, int]: ...


def record_pool(database: PoolStatistics) -> None:
    stats = database.stats()
    POOL_CONNECTIONS.labels("open").set(stats["size"])
    POOL_CONNECTIONS.labels("idle").set(stats["idle"])
    POOL_CONNECTIONS.labels("in_use").set(stats["size"] - stats["idle"])
    POOL_CONNECTIONS.labels("max").set(stats["max"])
    POOL_CONNECTIONS.labels("waiting").set(stats["waiting"])


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

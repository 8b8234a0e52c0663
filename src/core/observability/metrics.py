"""Prometheus metrics at `/metrics`, on the API's port or on a port of their own.

| metric | labels |
|---|---|
| `avatar_api_requests_total` | method (or `other`), path (route template, `(unmatched)`, `(overloaded)`), status_code |
| `avatar_api_request_duration_seconds` (histogram) | method, path |
| `avatar_api_requests_in_progress` | |
| `avatar_api_db_pool_connections` | state: `idle`, `in_use` (they add up to the open connections) |
| `avatar_api_db_pool_max_connections` | |
| `avatar_api_db_pool_waiting` | requests in line for a connection |
| `avatar_api_db_pool_refused_total` | when: `on_arrival`, `after_waiting` (503 `overloaded`: the line was standing) |
| `avatar_api_ready`, `avatar_api_readiness_changes_total` | what readiness last answered; how often it changed |
| `avatar_api_rate_limited_total` | policy |
| `avatar_api_rate_limit_store_errors_total` | |
| `avatar_api_webhook_attempts_total` | outcome (bounded: `webhook_outcome`) |
| `avatar_api_webhook_attempt_duration_seconds` (histogram) | |
| `avatar_api_mail_attempts_total` | kind (`verify_email`...), outcome: `sent`, `retried`, `failed` (given up) |
| `avatar_api_mail_attempt_duration_seconds` (histogram) | |
| `avatar_api_webhook_deliveries_pending`, `avatar_api_webhook_oldest_pending_age_seconds` | |
| `avatar_api_outbox_lag_seconds` | |

Request metrics are recorded by the edge middleware, which already knows the route
template, status and duration of every request (matched or not). Litestar's
`PrometheusMiddleware` was measured at about 100 us of CPU per request on this stack (it
builds a Request and label dictionaries and looks the labelled series up four times per
request), doubling the cost of a trivial endpoint; here each (method, path, status)
series is looked up once and cached. Every label is bounded whatever a client sends: the
method by `KNOWN_METHODS`, the path by the route table, the status by HTTP. No
`_created` series are exported: they double the series of every counter and histogram
and no query here uses them.

The webhook backlog and the outbox lag describe the database, not a worker: every
worker measures them now and then and reports the same value (aggregate with `max`).

Several Granian workers: `api serve` points `PROMETHEUS_MULTIPROC_DIR` at an empty
directory before the workers start, so each worker writes its samples there and a
scrape (answered by any worker) aggregates all of them. With METRICS_PORT, each worker
also listens on that port (`listen_for_scrapes`, SO_REUSEPORT: the kernel hands each
scrape to one of them), from a thread, so a scrape is answered even while the worker's
event loop is busy. See docs/operations.md.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Protocol
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    make_wsgi_app,
    multiprocess,
)
from prometheus_client.exposition import ThreadingWSGIServer

from src.core.observability.logging import get_logger

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

__all__ = (
    "MAIL_ATTEMPTS",
    "MAIL_ATTEMPT_DURATION",
    "METRICS_PATH",
    "MULTIPROCESS_DIR_VARIABLE",
    "OUTBOX_LAG",
    "OVERLOADED",
    "POOL_CONNECTIONS",
    "POOL_MAX_CONNECTIONS",
    "POOL_REFUSED",
    "POOL_WAITING",
    "RATE_LIMITED",
    "RATE_LIMIT_STORE_ERRORS",
    "WEBHOOK_ATTEMPTS",
    "WEBHOOK_ATTEMPT_DURATION",
    "WEBHOOK_DELIVERIES_PENDING",
    "WEBHOOK_OLDEST_PENDING_AGE",
    "MetricsListener",
    "PoolStatistics",
    "RequestMetrics",
    "forget_dead_workers",
    "listen_for_scrapes",
    "record_pool",
    "record_readiness",
    "registry",
    "webhook_outcome",
)

log = get_logger(component="metrics")

METRICS_PATH: Final = "/metrics"
MULTIPROCESS_DIR_VARIABLE: Final = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED: Final = "(unmatched)"
# The route of a request the edge refused on arrival, before routing (the line was full).
OVERLOADED: Final = "(overloaded)"
# The methods the API answers; anything else a client sends is counted as `other`.
KNOWN_METHODS: Final = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
OTHER_METHOD: Final = "other"
_PREFIX: Final = "avatar_api"
_BUCKETS: Final = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

disable_created_metrics()  # type: ignore[no-untyped-call]  # before any metric exists: no `<name>_created` series (see above)

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
MAIL_ATTEMPTS = Counter(
    f"{_PREFIX}_mail_attempts_total",
    "Attempts to hand a message to the SMTP relay, by kind and outcome: sent, retried, failed (given up)",
    ["kind", "outcome"],
)
MAIL_ATTEMPT_DURATION = Histogram(
    f"{_PREFIX}_mail_attempt_duration_seconds", "Time one SMTP conversation took", buckets=_BUCKETS
)
POOL_CONNECTIONS = Gauge(
    f"{_PREFIX}_db_pool_connections",
    "Open database connections in the pools of live workers, by state (idle, in_use)",
    ["state"],
    multiprocess_mode="livesum",
)
POOL_MAX_CONNECTIONS = Gauge(
    f"{_PREFIX}_db_pool_max_connections",
    "The most connections the pools of live workers may open (DB_POOL_MAX_SIZE per worker)",
    multiprocess_mode="livesum",
)
POOL_WAITING = Gauge(
    f"{_PREFIX}_db_pool_waiting",
    "Requests waiting in line for a database connection, in live workers",
    multiprocess_mode="livesum",
)
POOL_REFUSED = Counter(
    f"{_PREFIX}_db_pool_refused",
    "Requests refused by the line for a database connection (503 overloaded): on arrival, or after waiting",
    ["when"],
)
READY = Gauge(
    f"{_PREFIX}_ready",
    "1 when the readiness probe last answered 200, 0 when it answered 503 (the lowest of live workers)",
    multiprocess_mode="livemin",
)
READINESS_CHANGES = Counter(
    f"{_PREFIX}_readiness_changes", "Times the readiness probe's answer changed (ready to unready or back)"
)
# Measured by one worker at a time, about the whole database: the freshest value wins.
WEBHOOK_DELIVERIES_PENDING = Gauge(
    f"{_PREFIX}_webhook_deliveries_pending",
    "Webhook deliveries to enabled endpoints not yet delivered nor given up (counted up to 10,000)",
    multiprocess_mode="livemostrecent",
)
WEBHOOK_OLDEST_PENDING_AGE = Gauge(
    f"{_PREFIX}_webhook_oldest_pending_age_seconds",
    "How long the webhook delivery that has been due the longest has waited to be sent (0: none waiting)",
    multiprocess_mode="livemostrecent",
)
OUTBOX_LAG = Gauge(
    f"{_PREFIX}_outbox_lag_seconds",
    "Age of the oldest outbox event not yet turned into webhook deliveries (0: none)",
    multiprocess_mode="livemostrecent",
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
    POOL_CONNECTIONS.labels("idle").set(stats["idle"])
    POOL_CONNECTIONS.labels("in_use").set(stats["size"] - stats["idle"])
    POOL_MAX_CONNECTIONS.set(stats["max"])
    POOL_WAITING.set(stats["waiting"])


_last_readiness: bool | None = None  # what this worker's readiness probe answered last


def record_readiness(ready: bool) -> None:
    """What the readiness probe answered. A change is counted, so flapping shows even
    between two scrapes (a gauge alone would miss a 503 that came and went)."""
    global _last_readiness  # noqa: PLW0603 - one probe per worker process
    if _last_readiness is not None and ready != _last_readiness:
        READINESS_CHANGES.inc()
    _last_readiness = ready
    READY.set(1 if ready else 0)


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


class _QuietHandler(WSGIRequestHandler):
    """Writes no line per scrape to stderr (the JSON log stream is stdout's alone)."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the overridden signature
        return


type _WSGIApp = Callable[[WSGIEnvironment, StartResponse], Iterable[bytes]]


def _only_metrics_path(app: _WSGIApp) -> _WSGIApp:
    def serve(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != METRICS_PATH:
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "10")])
            return [b"not found\n"]
        try:
            return app(environ, start_response)
        except Exception:  # wsgiref would print the traceback to stderr, outside the JSON log stream
            log.exception("metrics_scrape_failed")
            start_response("500 Internal Server Error", [("Content-Type", "text/plain"), ("Content-Length", "14")])
            return [b"scrape failed\n"]

    return serve


class MetricsListener:
    """`GET /metrics` on a port of its own, answered from a thread of this process."""

    __slots__ = ("_server", "_thread")

    def __init__(self, host: str, port: int) -> None:
        family = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0][0]

        class Server(ThreadingWSGIServer):
            address_family = family
            # Every worker binds the same port; the kernel hands each connection to one of them.
            allow_reuse_port = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                """A scraper that went away: one log line, not socketserver's traceback on stderr."""
                log.warning("metrics_connection_failed", error=type(sys.exc_info()[1]).__name__)

        self._server = make_server(host, port, _only_metrics_path(make_wsgi_app(registry())), Server, _QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="metrics-listener", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        port: int = self._server.server_address[1]
        return port

    def close(self) -> None:
        """Blocking (up to half a second): call it from a thread."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


def listen_for_scrapes(host: str, port: int) -> MetricsListener:
    """Serve /metrics on `port` (METRICS_PORT) until `close()`; OSError if it cannot be bound."""
    return MetricsListener(host, port)

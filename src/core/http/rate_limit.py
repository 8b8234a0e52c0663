"""Rate limits on every endpoint but health, metrics and the docs.

A `before_request` step (see `core.http.checks`), not a middleware: a route-level middleware
makes Litestar wrap every route in a second exception handler and a second `send`
wrapper, which cost more than the counting itself. The step runs before authentication
and before the body is read.

- **Policies**: `default` for everything, and stricter named ones a route opts into with
  `opt={"rate_limit": "auth"}` (sign-up and login do); `opt={"skip_rate_limit": True}`
  exempts a route (probes, metrics, the docs and the OpenAPI document).
- **Keys**: per user when the request carries a valid bearer token, else per client
  address (see `core.http.client_address`); one counter per (policy, caller).
- **Counting**: a fixed window per key, incremented atomically: an `INCR` + `PEXPIRE`
  Lua script in Redis (`core.runtime.redis`; shared by every worker and instance), a dict in
  memory otherwise.
  (Litestar's `RateLimitMiddleware` keeps a list of timestamps per client, updated
  read-modify-write, so over Redis concurrent workers lose updates; it also sends no
  `Retry-After` and has one policy per middleware.)
- **Headers**: `RateLimit-Policy` and `RateLimit` (current IETF draft) plus
  `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (the draft most clients
  know), on every answer of a limited route, errors included (the edge adds them);
  429 problem+json with `Retry-After` when exceeded.
- **Redis down**: the request is served. Counting falls back to this worker's memory for
  a few seconds before Redis is tried again; each failure is logged and counted.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, Final

from litestar import Litestar
from litestar.connection import Request
from litestar.handlers import HTTPRouteHandler

from src.core.errors import TooManyRequests
from src.core.http.edge import set_response_headers
from src.core.observability.logging import get_logger
from src.core.observability.metrics import RATE_LIMITED
from src.core.runtime.rate_counters import RateCounter, RatePolicy

__all__ = (
    "DEFAULT_POLICY",
    "SKIP_OPT_KEY",
    "RateLimits",
    "identify_by_address",
    "reset_seconds",
)

log = get_logger(component="rate_limit")

DEFAULT_POLICY: Final = "default"
OPT_KEY: Final = "rate_limit"
SKIP_OPT_KEY: Final = "skip_rate_limit"
_HEADER_SOURCE: Final = "rate_limit"


def identify_by_address(request: Request[Any, Any, Any]) -> str:
    """The client address the edge resolved (proxy-aware), else the TCP peer."""
    address = request.scope["state"].get("client_address")
    if address is None:
        address = request.client.host if request.client else "unknown"
    return f"address:{address}"


def reset_seconds(reset_after: float, window_seconds: int) -> int:
    """Whole seconds until the window ends, for the headers: rounded up, within the window
    (`(now + 60) - now` can come out a hair above 60 in floating point)."""
    return min(max(math.ceil(reset_after), 0), window_seconds)


class _PolicyCheck:
    """One route's rate-limit step: its policy, with the header parts that never change."""

    __slots__ = ("_counter_for", "_identify", "_limit", "_policy", "_policy_header", "_prefix")

    def __init__(
        self,
        policy: RatePolicy,
        *,
        identify: Callable[[Request[Any, Any, Any]], str],
        counter_for: Callable[[Litestar], RateCounter | None],
    ) -> None:
        self._policy = policy
        self._identify = identify
        self._counter_for = counter_for
        self._prefix = f"{policy.name}:"
        self._limit = str(policy.limit).encode()
        self._policy_header = f'"{policy.name}";q={policy.limit};w={policy.window_seconds}'.encode()

    async def __call__(self, request: Request[Any, Any, Any]) -> None:
        counter = self._counter_for(request.app)
        if counter is None:  # before start-up has finished: nothing to count with
            return
        policy = self._policy
        hit = await counter.hit(self._prefix + self._identify(request), policy.window_seconds)
        remaining = max(policy.limit - hit.hits, 0)
        reset = reset_seconds(hit.reset_after, policy.window_seconds)
        set_response_headers(
            request.scope,
            _HEADER_SOURCE,
            (
                (b"ratelimit-policy", self._policy_header),
                (b"ratelimit", f'"{policy.name}";r={remaining};t={reset}'.encode()),
                (b"ratelimit-limit", self._limit),
                (b"ratelimit-remaining", str(remaining).encode()),
                (b"ratelimit-reset", str(reset).encode()),
            ),
        )
        if hit.hits > policy.limit:
            RATE_LIMITED.labels(policy.name).inc()
            raise TooManyRequests(
                f"Too many requests: {policy.limit} per {policy.window_seconds} s ({policy.name} policy).",
                retry_after=reset,
            )


class RateLimits:
    """The rate-limit check of `core.http.checks`: which policy, if any, each route counts against."""

    __slots__ = ("_counter_for", "_identify", "_policies")

    def __init__(
        self,
        policies: Mapping[str, RatePolicy],
        *,
        identify: Callable[[Request[Any, Any, Any]], str],
        counter_for: Callable[[Litestar], RateCounter | None],
    ) -> None:
        """`counter_for` finds the started app's counter (None before start-up)."""
        if DEFAULT_POLICY not in policies:
            raise ValueError(f"rate limits need a {DEFAULT_POLICY!r} policy")
        self._policies = policies
        self._identify = identify
        self._counter_for = counter_for

    def step_for(self, handler: HTTPRouteHandler) -> _PolicyCheck | None:
        if handler.opt.get(SKIP_OPT_KEY):
            return None
        policy = self._policies[handler.opt.get(OPT_KEY, DEFAULT_POLICY)]
        return _PolicyCheck(policy, identify=self._identify, counter_for=self._counter_for)

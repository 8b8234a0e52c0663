"""Rate limits on every endpoint but health, metrics and the docs.

A `before_request` step (see `core.checks`), not a middleware: a route-level middleware
makes Litestar wrap every route in a second exception handler and a second `send`
wrapper, which cost more than the counting itself. The step runs before authentication
and before the body is read.

- **Policies**: `default` for everything, and stricter named ones a route opts into with
  `opt={"rate_limit": "auth"}` (sign-up and login do); `opt={"skip_rate_limit": True}`
  exempts a route (probes, metrics, the docs and the OpenAPI document).
- **Keys**: per user when the request carries a valid bearer token, else per client
  address (see `core.client_address`); one counter per (policy, caller).
- **Counting**: a fixed window per key, incremented atomically: an `INCR` + `PEXPIRE`
  Lua script in Redis (`core.redis`; shared by every worker and instance), a dict in
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
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, Final, NamedTuple

import msgspec
from litestar import Litestar
from litestar.connection import Request
from litestar.handlers import HTTPRouteHandler

from src.core.edge import set_response_headers
from src.core.errors import TooManyRequests
from src.core.logging import get_logger
from src.core.metrics import RATE_LIMITED
from src.core.settings import WINDOW_SECONDS

__all__ = (
    "DEFAULT_POLICY",
    "SKIP_OPT_KEY",
    "Hit",
    "MemoryRateCounter",
    "RateCounter",
    "RateLimits",
    "RatePolicy",
    "identify_by_address",
    "reset_seconds",
)

log = get_logger(component="rate_limit")

DEFAULT_POLICY: Final = "default"
OPT_KEY: Final = "rate_limit"
SKIP_OPT_KEY: Final = "skip_rate_limit"
_HEADER_SOURCE: Final = "rate_limit"


class RatePolicy(msgspec.Struct, frozen=True):
    name: str
    limit: int
    window_seconds: int

    @classmethod
    def parse(cls, name: str, spec: str) -> RatePolicy:
        """`"300/minute"` -> 300 requests per 60-second window."""
        count, _, unit = spec.partition("/")
        return cls(name=name, limit=int(count), window_seconds=WINDOW_SECONDS[unit])


class Hit(NamedTuple):
    hits: int
    """Requests counted in the current window, this one included."""
    reset_after: float
    """Seconds until the window ends."""


class RateCounter(ABC):
    """Fixed-window counters. A base class rather than a Protocol: Litestar checks injected
    dependencies against their declared type, which a Protocol cannot be checked against."""

    __slots__ = ()

    @abstractmethod
    async def hit(self, key: str, window_seconds: int) -> Hit:
        """Count one more in `key`'s current window."""

    @abstractmethod
    async def peek(self, key: str) -> Hit | None:
        """The current window's count without adding to it; None when no window is open."""


class MemoryRateCounter(RateCounter):
    """Per-process fixed windows. Atomic without a lock: no await between read and write."""

    __slots__ = ("_hits_since_sweep", "_windows")
    _SWEEP_EVERY: Final = 10_000

    def __init__(self) -> None:
        self._windows: dict[str, tuple[int, float]] = {}
        self._hits_since_sweep = 0

    async def hit(self, key: str, window_seconds: int) -> Hit:
        return self.hit_now(key, window_seconds)

    def hit_now(self, key: str, window_seconds: int) -> Hit:
        now = time.monotonic()
        count, ends_at = self._windows.get(key, (0, 0.0))
        if ends_at <= now:
            count, ends_at = 0, now + window_seconds
        count += 1
        self._windows[key] = (count, ends_at)
        self._hits_since_sweep += 1
        if self._hits_since_sweep >= self._SWEEP_EVERY:
            self._sweep(now)
        return Hit(hits=count, reset_after=ends_at - now)

    async def peek(self, key: str) -> Hit | None:
        return self.peek_now(key)

    def peek_now(self, key: str) -> Hit | None:
        now = time.monotonic()
        count, ends_at = self._windows.get(key, (0, 0.0))
        return Hit(hits=count, reset_after=ends_at - now) if ends_at > now else None

    def _sweep(self, now: float) -> None:
        """Forget ended windows, so memory follows active callers, not all callers ever."""
        self._hits_since_sweep = 0
        for key in [key for key, (_, ends_at) in self._windows.items() if ends_at <= now]:
            del self._windows[key]


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
    """The rate-limit check of `core.checks`: which policy, if any, each route counts against."""

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

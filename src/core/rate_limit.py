"""Rate limits on every endpoint but health, metrics and the docs.

Built on Litestar's `RateLimitMiddleware` and `RateLimitConfig`: we keep their
configuration surface (the identifier hook, path and opt-key exclusion, header names)
and replace the counting. Litestar's version keeps a list of timestamps per client and
updates it read-modify-write under a per-process lock, so over Redis concurrent requests
from several workers lose updates and the limit does not hold; it also sends no
`Retry-After`, has one policy per middleware, and fails closed when its store errors.

Here:
- **Policies**: `default` for everything, and stricter named ones a route opts into with
  `opt={"rate_limit": "auth"}` (sign-up and login do).
- **Keys**: per user when the request carries a valid bearer token, else per client
  address (see `core.client_address`); one counter per (policy, caller).
- **Counting**: a fixed window per key, incremented atomically: an `INCR` + `PEXPIRE`
  Lua script in Redis (shared by every worker and instance), a dict in memory otherwise.
- **Headers**: `RateLimit-Policy` and `RateLimit` (current IETF draft) plus
  `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (the draft most clients
  know); 429 problem+json with `Retry-After` when exceeded.
- **Redis down**: the request is served. Counting falls back to this worker's memory for
  a few seconds before Redis is tried again; each failure is logged and counted.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, NamedTuple

import msgspec
from litestar import Litestar
from litestar.connection import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import TooManyRequestsException
from litestar.middleware.rate_limit import DurationUnit, RateLimitConfig, RateLimitMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from redis.asyncio import Redis
from redis.exceptions import RedisError

from src.core.logging import get_logger
from src.core.metrics import RATE_LIMIT_STORE_ERRORS, RATE_LIMITED
from src.core.settings import WINDOW_SECONDS

__all__ = (
    "DEFAULT_POLICY",
    "Hit",
    "MemoryRateCounter",
    "PolicyRateLimitConfig",
    "PolicyRateLimitMiddleware",
    "RateCounter",
    "RatePolicy",
    "RedisRateCounter",
    "identify_by_address",
)

log = get_logger(component="rate_limit")

DEFAULT_POLICY: Final = "default"
OPT_KEY: Final = "rate_limit"
SKIP_OPT_KEY: Final = "skip_rate_limit"
# Atomic: the first hit of a window sets its expiry; every hit returns (count, ms left).
_HIT_SCRIPT: Final = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {count, ttl}
"""


class RatePolicy(msgspec.Struct, frozen=True):
    name: str
    limit: int
    window_seconds: int
    unit: DurationUnit

    @classmethod
    def parse(cls, name: str, spec: str) -> RatePolicy:
        """`"300/minute"` -> 300 requests per 60-second window."""
        count, _, unit = spec.partition("/")
        return cls(name=name, limit=int(count), window_seconds=WINDOW_SECONDS[unit], unit=unit)  # type: ignore[arg-type]


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


class RedisRateCounter(RateCounter):
    """Shared fixed windows in Redis/Valkey, with a short circuit-breaker to memory."""

    __slots__ = ("_fallback", "_prefix", "_redis", "_retry_after_failure", "_script", "_skip_until")

    def __init__(
        self, redis: Redis, *, key_prefix: str, fallback: MemoryRateCounter, retry_after_failure: float = 5.0
    ) -> None:
        self._redis = redis
        self._prefix = f"{key_prefix}rate:"
        self._script = redis.register_script(_HIT_SCRIPT)
        self._fallback = fallback
        self._retry_after_failure = retry_after_failure
        self._skip_until = 0.0

    async def hit(self, key: str, window_seconds: int) -> Hit:
        if time.monotonic() < self._skip_until:
            return self._fallback.hit_now(key, window_seconds)
        try:
            count, ttl_ms = await self._script(keys=[self._prefix + key], args=[window_seconds * 1000])
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            return self._fallback.hit_now(key, window_seconds)
        return Hit(hits=int(count), reset_after=int(ttl_ms) / 1000)

    async def peek(self, key: str) -> Hit | None:
        if time.monotonic() < self._skip_until:
            return self._fallback.peek_now(key)
        try:
            async with self._redis.pipeline(transaction=True) as pipeline:
                pipeline.get(self._prefix + key)
                pipeline.pttl(self._prefix + key)
                count, ttl_ms = await pipeline.execute()
        except (RedisError, OSError, TimeoutError) as exc:
            self._failed(exc)
            return self._fallback.peek_now(key)
        if count is None or ttl_ms is None or int(ttl_ms) < 0:
            return None
        return Hit(hits=int(count), reset_after=int(ttl_ms) / 1000)

    def _failed(self, exc: Exception) -> None:
        """Serve anyway; don't pay a timeout on every request while Redis is away."""
        self._skip_until = time.monotonic() + self._retry_after_failure
        RATE_LIMIT_STORE_ERRORS.inc()
        log.warning("rate_limit_store_unavailable", error=type(exc).__name__, fallback="worker_memory")


def identify_by_address(request: Request[Any, Any, Any]) -> str:
    """The client address the edge resolved (proxy-aware), else the TCP peer."""
    address = request.scope["state"].get("client_address")
    if address is None:
        address = request.client.host if request.client else "unknown"
    return f"address:{address}"


@dataclass
class PolicyRateLimitConfig(RateLimitConfig):
    """Litestar's config plus named policies; `rate_limit` mirrors the default policy."""

    policies: Mapping[str, RatePolicy] = field(default_factory=dict)
    counter_for: Callable[[Litestar], RateCounter | None] = field(default=lambda _: None)
    """Where the started app keeps its counter (None before start-up: nothing is limited)."""


def _headers(policy: RatePolicy, hit: Hit) -> dict[str, str]:
    remaining = max(policy.limit - hit.hits, 0)
    reset = max(math.ceil(hit.reset_after), 0)
    return {
        "RateLimit-Policy": f'"{policy.name}";q={policy.limit};w={policy.window_seconds}',
        "RateLimit": f'"{policy.name}";r={remaining};t={reset}',
        "RateLimit-Limit": str(policy.limit),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(reset),
    }


class PolicyRateLimitMiddleware(RateLimitMiddleware):
    config: PolicyRateLimitConfig

    def __init__(self, app: ASGIApp, config: PolicyRateLimitConfig) -> None:
        super().__init__(app, config)
        self.policies = config.policies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app: Litestar = scope["litestar_app"]
        counter: RateCounter | None = self.config.counter_for(app)
        request: Request[Any, Any, Any] = app.request_class(scope)
        if counter is None or not await self.should_check_request(request=request):
            await self.app(scope, receive, send)
            return

        policy = self.policies[scope["route_handler"].opt.get(OPT_KEY, DEFAULT_POLICY)]
        hit = await counter.hit(f"{policy.name}:{self.get_identifier_for_request(request)}", policy.window_seconds)
        headers = _headers(policy, hit)
        if hit.hits > policy.limit:
            RATE_LIMITED.labels(policy.name).inc()
            raise TooManyRequestsException(
                detail=f"Too many requests: {policy.limit} per {policy.window_seconds} s ({policy.name} policy).",
                headers={**headers, "Retry-After": headers["RateLimit-Reset"]},
            )

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableScopeHeaders.from_message(message)
                for name, value in headers.items():
                    response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)

"""Rate limits on every endpoint but health, metrics and the docs, and on requests that
match no route at all.

A `before_request` step (see `core.http.checks`), not a middleware: a route-level middleware
makes Litestar wrap every route in a second exception handler and a second `send`
wrapper, which cost more than the counting itself. The step runs before authentication
and before the body is read.

- **Policies**: `default` for everything, and stricter named ones a route opts into with
  `opt={"rate_limit": "auth"}` (sign-up and login do); `opt={"skip_rate_limit": True}`
  exempts a route (probes, metrics, the docs and the OpenAPI document).
- **Keys**: per user when the request carries a valid bearer token, else per client
  address; policies named in `per_address` (the `auth` policy) always count per client
  address, whatever token the request carries: a token must not buy a fresh budget for
  sign-ups and logins. Addresses are the edge's (proxy-aware, see
  `core.http.client_address`); IPv6 ones are grouped by prefix (`RATE_LIMIT_IPV6_PREFIX`,
  a /64 by default), since one host holds a whole /64. One counter per (policy, key).
- **No route**: a request for a path or method that does not exist counts against the
  `default` policy of its client address (`unmatched_check`, called by the edge), so
  scanning is throttled like anything else.
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
from collections.abc import Callable, Collection, Mapping
from typing import Any, Final

from litestar import Litestar
from litestar.connection import Request
from litestar.handlers import HTTPRouteHandler
from litestar.types import Scope

from src.core.errors import TooManyRequests
from src.core.http.edge import ADDRESS_KEY_STATE, Header, address_key, remember_caller, set_response_headers
from src.core.observability.logging import get_logger
from src.core.observability.metrics import RATE_LIMITED
from src.core.observability.request_context import bind_client
from src.core.runtime.rate_counters import RateCounter, RatePolicy

__all__ = ("DEFAULT_POLICY", "SKIP_OPT_KEY", "RateLimits", "UnmatchedVerdict", "reset_seconds")

log = get_logger(component="rate_limit")

DEFAULT_POLICY: Final = "default"
OPT_KEY: Final = "rate_limit"
SKIP_OPT_KEY: Final = "skip_rate_limit"
_HEADER_SOURCE: Final = "rate_limit"

type KeyOf = Callable[[Request[Any, Any, Any]], str]
type CounterOf = Callable[[Litestar], RateCounter | None]


def reset_seconds(reset_after: float, window_seconds: int) -> int:
    """Whole seconds until the window ends, for the headers: rounded up, within the window
    (`(now + 60) - now` can come out a hair above 60 in floating point)."""
    return min(max(math.ceil(reset_after), 0), window_seconds)


class _Policy:
    """A policy, with the header parts that never change."""

    __slots__ = ("limit_header", "policy", "policy_header", "prefix")

    def __init__(self, policy: RatePolicy) -> None:
        self.policy = policy
        self.prefix = f"{policy.name}:"
        self.limit_header = str(policy.limit).encode()
        self.policy_header = f'"{policy.name}";q={policy.limit};w={policy.window_seconds}'.encode()

    async def count(self, counter: RateCounter, key: str) -> tuple[tuple[Header, ...], TooManyRequests | None]:
        """One more request for `key`: the headers to send, and the refusal when over the limit."""
        policy = self.policy
        hit = await counter.hit(self.prefix + key, policy.window_seconds)
        remaining = max(policy.limit - hit.hits, 0)
        reset = reset_seconds(hit.reset_after, policy.window_seconds)
        headers = (
            (b"ratelimit-policy", self.policy_header),
            (b"ratelimit", f'"{policy.name}";r={remaining};t={reset}'.encode()),
            (b"ratelimit-limit", self.limit_header),
            (b"ratelimit-remaining", str(remaining).encode()),
            (b"ratelimit-reset", str(reset).encode()),
        )
        if hit.hits <= policy.limit:
            return headers, None
        RATE_LIMITED.labels(policy.name).inc()
        refusal = TooManyRequests(
            f"Too many requests: {policy.limit} per {policy.window_seconds} s ({policy.name} policy).",
            retry_after=reset,
        )
        return headers, refusal


class _PolicyCheck:
    """One route's rate-limit step."""

    __slots__ = ("_counter_for", "_key_of", "_policy")

    def __init__(
        self, policy: _Policy, *, key_of: KeyOf, counter_for: Callable[[Litestar], RateCounter | None]
    ) -> None:
        self._policy = policy
        self._key_of = key_of
        self._counter_for = counter_for

    async def __call__(self, request: Request[Any, Any, Any]) -> None:
        counter = self._counter_for(request.app)
        if counter is None:  # before start-up has finished: nothing to count with
            return
        key = self._key_of(request)
        bind_client(key)  # the database's line serves this client in turn (the edge unbinds it)
        headers, refusal = await self._policy.count(counter, key)
        set_response_headers(request.scope, _HEADER_SOURCE, headers)
        if refusal is not None:
            raise refusal


class UnmatchedVerdict:
    """What the edge does with a request that matched no route: these headers, and the
    refusal to answer instead when its address is over the limit."""

    __slots__ = ("headers", "refusal")

    def __init__(self, headers: tuple[Header, ...], refusal: TooManyRequests | None) -> None:
        self.headers = headers
        self.refusal = refusal


class RateLimits:
    """The rate-limit check of `core.http.checks`: which policy, if any, each route counts
    against, and under which key."""

    __slots__ = ("_by_address", "_by_caller", "_counter_for", "_default", "_ipv6_prefix", "_per_address", "_policies")

    def __init__(
        self,
        policies: Mapping[str, RatePolicy],
        *,
        user_of: Callable[[Request[Any, Any, Any]], str | None],
        counter_for: CounterOf,
        per_address: Collection[str] = (),
        ipv6_prefix: int = 64,
    ) -> None:
        """`user_of` names the authenticated caller (None: anonymous); `counter_for` finds
        the started app's counter (None before start-up)."""
        if DEFAULT_POLICY not in policies:
            raise ValueError(f"rate limits need a {DEFAULT_POLICY!r} policy")
        self._policies = {name: _Policy(policy) for name, policy in policies.items()}
        self._default = self._policies[DEFAULT_POLICY]
        self._per_address = frozenset(per_address)
        self._counter_for = counter_for
        self._ipv6_prefix = ipv6_prefix

        def by_address(request: Request[Any, Any, Any]) -> str:
            return self._address_key(request.scope)

        def by_caller(request: Request[Any, Any, Any]) -> str:
            caller = user_of(request)
            if caller is None:
                return self._address_key(request.scope)
            # Verified: the database's line serves this caller in turn from here on.
            remember_caller(request.scope, caller)
            return caller

        self._by_address: KeyOf = by_address
        self._by_caller: KeyOf = by_caller

    def _address_key(self, scope: Scope) -> str:
        """The client address the edge resolved (proxy-aware), else the TCP peer; IPv6 by prefix.
        The edge has already made the key (`ADDRESS_KEY_STATE`, with the same prefix)."""
        made: str | None = scope["state"].get(ADDRESS_KEY_STATE)
        if made is not None:
            return made
        address = scope["state"].get("client_address")
        if address is None:
            client = scope.get("client")
            address = client[0] if client else "unknown"
        return address_key(address, self._ipv6_prefix)

    def step_for(self, handler: HTTPRouteHandler) -> _PolicyCheck | None:
        if handler.opt.get(SKIP_OPT_KEY):
            return None
        name = handler.opt.get(OPT_KEY, DEFAULT_POLICY)
        key_of = self._by_address if name in self._per_address else self._by_caller
        return _PolicyCheck(self._policies[name], key_of=key_of, counter_for=self._counter_for)

    async def unmatched_check(self, scope: Scope) -> UnmatchedVerdict | None:
        """A request that matched no route (404, 405) counts against the default policy of
        its client address. None before start-up."""
        counter = self._counter_for(scope["app"])
        if counter is None:
            return None
        headers, refusal = await self._default.count(counter, self._address_key(scope))
        return UnmatchedVerdict(headers, refusal)

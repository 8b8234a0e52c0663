"""Rate-limit counters: fixed windows, counted atomically, in this worker or in Redis.

The store behind `core.http.rate_limit` (which decides what to count and answers 429),
and `Reservations`: budgets that hold under concurrency (the per-account password
checks, a user's webhook pings in flight). `MemoryRateCounter` counts per worker;
`RedisRateCounter` (`core.runtime.redis`, loaded only with REDIS_URL) shares the counts
across workers and instances and falls back to memory while Redis is away.
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Final, NamedTuple

import msgspec

from src.core.errors import TooManyRequests
from src.core.settings import WINDOW_SECONDS

__all__ = ("Hit", "MemoryRateCounter", "RateCounter", "RatePolicy", "Reservation", "Reservations", "charge")


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
    async def give_back(self, key: str) -> None:
        """Undo one hit of `key`'s current window (a reservation that was not used up).

        Counting first and giving back after is how a budget holds under concurrency:
        `hit` reserves atomically, so N concurrent callers can never all see room for one
        more (a read, then a later increment, let them)."""


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

    async def give_back(self, key: str) -> None:
        self.give_back_now(key)

    def give_back_now(self, key: str) -> None:
        count, ends_at = self._windows.get(key, (0, 0.0))
        if count > 0 and ends_at > time.monotonic():
            self._windows[key] = (count - 1, ends_at)

    def _sweep(self, now: float) -> None:
        """Forget ended windows, so memory follows active callers, not all callers ever."""
        self._hits_since_sweep = 0
        for key in [key for key, (_, ends_at) in self._windows.items() if ends_at <= now]:
            del self._windows[key]


class Reservation:
    """A place taken in a `Reservations` budget; `keep()` leaves it spent (a failed
    password check), else it is given back when the block ends."""

    __slots__ = ("kept",)

    def __init__(self) -> None:
        self.kept = False

    def keep(self) -> None:
        self.kept = True


class Reservations:
    """At most `policy.limit` places per key per window, taken atomically: the way a
    budget holds under any concurrency (a read of the count followed by a later increment
    lets every concurrent caller see room for one more). A place is taken before the work
    (`RateCounter.hit`) and given back after it, unless kept. Shared across workers and
    instances when the counter is Redis'; a place held by a process that died is freed
    when its window ends."""

    __slots__ = ("_code", "_counter", "_detail", "_policy")

    def __init__(self, counter: RateCounter, policy: RatePolicy, *, code: str, detail: str) -> None:
        self._counter = counter
        self._policy = policy
        self._code = code
        self._detail = detail

    @asynccontextmanager
    async def reserve(self, key: str) -> AsyncIterator[Reservation]:
        """A place for `key`, or `TooManyRequests` (with this budget's code) when none is left."""
        taken = await self._counter.hit(key, self._policy.window_seconds)
        if taken.hits > self._policy.limit:
            await self._counter.give_back(key)  # refused: it took nothing
            raise _refusal(taken, detail=self._detail, code=self._code)
        reservation = Reservation()
        try:
            yield reservation
        finally:
            if not reservation.kept:
                await self._counter.give_back(key)


async def charge(counter: RateCounter, policy: RatePolicy, key: str, *, code: str, detail: str) -> None:
    """One more of `key` against `policy`, spent whatever follows (an e-mail asked for);
    past the limit, `TooManyRequests` with this code and `Retry-After`."""
    hit = await counter.hit(key, policy.window_seconds)
    if hit.hits > policy.limit:
        raise _refusal(hit, detail=detail, code=code)


def _refusal(hit: Hit, *, detail: str, code: str) -> TooManyRequests:
    return TooManyRequests(detail, retry_after=max(math.ceil(hit.reset_after), 1), code=code)

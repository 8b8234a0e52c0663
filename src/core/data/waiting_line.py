"""Who gets the next free database connection: the line in front of the pool.

asyncpg's pool alone is not fair: a waiter woken by a release can find the connection
already taken by a request that arrived meanwhile, and goes to the back of the line. Under
load a few requests then wait many times longer than the rest (at 64 clients on a pool
of 10: p99 six times p50). So requests wait here, in a line of the pool's size, and the
line decides who goes next. It is flow-queue CoDel (RFC 8290's FQ-CoDel, with RFC 8289's
CoDel on each flow), adapted from packets to requests:

- **First come, first served, per client.** Each client (`key`: the caller, else its
  address; see `core.observability.request_context.current_client`) has a line of its
  own, served in order; free connections go round the clients that are waiting, one each
  in turn. A client flooding with 200 requests waits behind its own requests, not in
  front of everyone else's: the others' wait does not grow with its flood.
- **A standing line is refused, from its head, fast.** A request's *sojourn* is how long it
  waited. While the waiters a client gets served have waited less than `target`, nothing
  is refused. When its waiters have waited longer than `target` without a break for
  `interval`, the line is not absorbing a burst but standing (more arrive than the pool
  serves), and every waiter of that client that has already waited longer than `target`
  is refused at once (`Refused`: a 503 with `Retry-After`) instead of waiting out the
  acquire timeout: the line is held at about `target`, the requests served are served
  within it, and a refusal comes soon after it, not after the acquire timeout. The first
  waiter served within `target`, or the client's line emptying, ends the refusing; a line
  that stands again within `interval` of its last refusal is refused again at once (as
  CoDel re-enters its dropping state), so an overload is not let through once an interval.

Why this and not the others (measured; see docs/operations.md and the overload benchmark):
- Plain first come, first served, bounded by the acquire timeout, has no defence against a
  standing line: past capacity every waiter waits the whole timeout and most then fail,
  after the wait, with the line never draining (the soak saw 3.5% errors at 70% of
  capacity after one stall).
- Facebook's adaptive LIFO (newest first once the line is backed up, with a short queue
  timeout), which this line used before, keeps the newest fast but starves the oldest in
  a closed loop, where there is always a newer request: at 64 clients, below capacity,
  3% of creates waited the whole 2 s and failed.
- Envoy's adaptive concurrency (a gradient on a measured minimum round trip) limits how
  many run at once; it needs a quiet period to measure the minimum and refuses at arrival,
  with no notion of who is flooding. The pool already bounds concurrency; what needs a
  discipline is the wait for it.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Hashable
from typing import Final

__all__ = ("DEFAULT_INTERVAL", "DEFAULT_TARGET", "Refused", "WaitingLine")

# The shipped parameters (settings DB_QUEUE_TARGET and DB_QUEUE_INTERVAL), chosen by measurement.
DEFAULT_TARGET: Final = 0.25
DEFAULT_INTERVAL: Final = 0.5
# At most this many emptied clients' last refusals are remembered (see WaitingLine._remember_refusal).
_REMEMBERED: Final = 1024


class Refused(Exception):
    """The line stood above its target for an interval and this waiter had waited beyond it."""


class _Flow:
    """One client's waiters, in order of arrival, and its CoDel state."""

    __slots__ = ("above_since", "gap", "refused_at", "refusing", "served_at", "shed_until", "waiting")

    def __init__(self) -> None:
        self.waiting: deque[tuple[float, asyncio.Future[None]]] = deque()
        # When its served waiters' sojourn went above the target (0.0: it is not above).
        self.above_since = 0.0
        # When it last had a waiter refused: a line that stands again soon after is refused at once.
        self.refused_at = -1e9
        # Refusing its waiters above the target, until one is served within it or it empties.
        self.refusing = False
        # Until when its newcomers are turned away at arrival when its line is already as long
        # as it can serve within the target (see `admits`); 0.0: not overloaded.
        self.shed_until = 0.0
        # When it was last served while more of its waiters were left (0.0: its line emptied),
        # and the moving average of the time between two of its turns.
        self.served_at = 0.0
        self.gap = 0.0


class WaitingLine:
    """`size` turns; `take` waits for one (bounded), `give_back` hands it to the next
    client's oldest waiter, refusing what has stood too long (see the module's text)."""

    __slots__ = ("_count", "_flows", "_free", "_interval", "_order", "_recently_refused", "_target")

    def __init__(self, size: int, *, target: float = DEFAULT_TARGET, interval: float = DEFAULT_INTERVAL) -> None:
        self._free = size
        self._target = target
        self._interval = interval
        self._flows: dict[Hashable, _Flow] = {}
        self._order: deque[Hashable] = deque()  # the clients with waiters, in turn
        self._count = 0
        # When a client whose line emptied last had a waiter refused, kept for an interval:
        # its next waiters find the overload it left (a flow of its own is forgotten once empty).
        self._recently_refused: dict[Hashable, float] = {}

    @property
    def waiting(self) -> int:
        return self._count

    async def take(self, timeout: float, key: Hashable = None) -> None:
        """A turn within `timeout` seconds, else TimeoutError; `Refused` when the line stood
        above its target and this waiter had waited beyond it."""
        if self._free and not self._count:
            self._free -= 1
            return
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        now = loop.time()
        flow = self._flows.get(key)
        if flow is None:
            flow = self._flows[key] = _Flow()
            if self._recently_refused:
                flow.refused_at = self._recently_refused.pop(key, flow.refused_at)
                flow.shed_until = flow.refused_at + self._interval if flow.refused_at > 0 else 0.0
            self._order.append(key)
        entry = (now, turn)
        flow.waiting.append(entry)
        self._count += 1
        # A timer on the turn itself, not asyncio.timeout: that one cancels the task and
        # translates the cancellation back, several times the cost, on every wait.
        expiry = loop.call_at(now + timeout, _expire, turn)
        try:
            await turn
        except BaseException:
            if turn.done() and not turn.cancelled() and turn.exception() is None:
                self.give_back()  # handed a turn just as the wait ended: pass it on
            elif entry in flow.waiting:  # timed out or cancelled while still in line
                flow.waiting.remove(entry)
                self._count -= 1
            raise
        finally:
            expiry.cancel()

    def admits(self, key: Hashable) -> bool:
        """Whether a request of this client may join the line, asked at its arrival, before
        any work is spent on it. Always, unless the client's line refused within an
        interval and is already as long as its turns serve within the target: then a
        newcomer would only wait to be refused, and is better refused now, at a fraction of
        the cost (an overload spends the worker on refusals otherwise). Such a refusal while
        the client's served waiters still wait beyond the target keeps it in that state for
        another interval."""
        flow = self._flows.get(key)
        if flow is None or not flow.shed_until:
            return True
        now = asyncio.get_running_loop().time()
        if now >= flow.shed_until:
            flow.shed_until = 0.0
            return True
        if len(flow.waiting) * flow.gap <= self._target:
            return True
        if flow.above_since:
            # Still standing: its served waiters wait beyond the target. A line that is long
            # but served within it (clients that come straight back after a 503, ignoring
            # Retry-After) lets the state end an interval after the last refusal instead.
            flow.shed_until = now + self._interval
        return False

    def give_back(self) -> None:
        if not self._count:
            if self._order:  # only clients whose waiters all left: forget them
                now = asyncio.get_running_loop().time()
                for key, flow in self._flows.items():
                    self._remember_refusal(key, flow, now)
                self._order.clear()
                self._flows.clear()
            self._free += 1
            return
        now = asyncio.get_running_loop().time()
        order, flows = self._order, self._flows
        while order:
            key = order.popleft()
            flow = flows[key]
            turn = self._next_of(flow, now)
            if flow.waiting:
                order.append(key)  # the back of the round
            else:
                self._remember_refusal(key, flows.pop(key), now)
            if turn is not None:
                turn.set_result(None)
                return
        self._free += 1

    def _remember_refusal(self, key: Hashable, flow: _Flow, now: float) -> None:
        if now - flow.refused_at >= self._interval:
            return
        recent = self._recently_refused
        if len(recent) >= _REMEMBERED:  # bounded: drop what is older than an interval
            for old in [k for k, at in recent.items() if now - at >= self._interval]:
                del recent[old]
            while len(recent) >= _REMEMBERED:  # still full: the oldest go first
                del recent[next(iter(recent))]
        recent.pop(key, None)
        recent[key] = flow.refused_at

    def _next_of(self, flow: _Flow, now: float) -> asyncio.Future[None] | None:
        """The flow's oldest waiter to serve, refusing on the way those that stood too long."""
        waiting, target, interval = flow.waiting, self._target, self._interval
        while waiting:
            since, turn = waiting.popleft()
            self._count -= 1
            if turn.done():  # cancelled a moment ago, its task not yet resumed
                continue
            if now - since <= target:
                flow.above_since = 0.0
                flow.refusing = False
                return _served(flow, turn, now)
            if not flow.refusing:
                if not flow.above_since:
                    flow.above_since = now
                    # Standing again within an interval of the last refusal: it never drained.
                    flow.refusing = now - flow.refused_at < interval
                else:
                    flow.refusing = now - flow.above_since >= interval
                if not flow.refusing:
                    return _served(flow, turn, now)
            turn.set_exception(Refused())
            flow.refused_at = now
            flow.shed_until = now + interval
        flow.above_since = 0.0
        flow.refusing = False
        return None


def _served(flow: _Flow, turn: asyncio.Future[None], now: float) -> asyncio.Future[None]:
    if flow.served_at:  # its line did not empty since its last turn: a gap between two turns
        gap = now - flow.served_at
        flow.gap = flow.gap + (gap - flow.gap) / 8 if flow.gap else gap
    flow.served_at = now if flow.waiting else 0.0
    return turn


def _expire(turn: asyncio.Future[None]) -> None:
    if not turn.done():
        turn.set_exception(TimeoutError())

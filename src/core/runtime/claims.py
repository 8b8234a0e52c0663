"""Working through claimed rows with a bounded number in flight: the loop of the outbox
senders (webhook deliveries, account e-mail).

A sender claims due rows (FOR UPDATE SKIP LOCKED with a lease, in its own SQL), handles
each in a task of its own, and claims again as slots free up: at once while a claim came
back full (more is due), else when its NOTIFY channel wakes it or its poll interval
passes. One slow conversation holds one slot, never the round. The round ends when
nothing is in flight and the last claim found nothing more; a cancelled round cancels
its tasks (each hands its claim back).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

__all__ = ("work_through_claims",)


async def work_through_claims[T](
    *,
    claim: Callable[[int], Awaitable[Sequence[T]]],
    handle: Callable[[T], Coroutine[Any, Any, None]],
    concurrency: int,
    wake: asyncio.Event | None,
    poll_seconds: float,
) -> int:
    """Claims up to `concurrency` items (`claim(free)`), `handle`s each in its own task, and
    keeps claiming as slots free up; returns how many were claimed in the round."""
    in_flight: set[asyncio.Task[None]] = set()
    claimed = 0
    async with asyncio.TaskGroup() as group:
        while True:
            free = concurrency - len(in_flight)
            more_due = False
            if free > 0:
                if wake is not None:
                    wake.clear()
                items = await claim(free)
                for item in items:
                    task = group.create_task(handle(item))
                    in_flight.add(task)
                    task.add_done_callback(in_flight.discard)
                claimed += len(items)
                more_due = len(items) == free
            if not in_flight:
                return claimed
            await _next_change(in_flight, None if more_due else wake, poll_seconds)


async def _next_change(in_flight: set[asyncio.Task[None]], wake: asyncio.Event | None, poll: float) -> None:
    """Until a task finishes, new work is announced, or the poll interval passes."""
    waiting: set[asyncio.Future[Any]] = {*in_flight}
    woken = asyncio.ensure_future(wake.wait()) if wake is not None else None
    if woken is not None:
        waiting.add(woken)
    try:
        await asyncio.wait(waiting, timeout=poll, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if woken is not None:
            woken.cancel()

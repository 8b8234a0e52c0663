"""The line in front of the pool: fair while it moves, newest first once it is backed up."""

from __future__ import annotations

import asyncio

import pytest

from src.core.data.waiting_line import WaitingLine

LIFO_AFTER = 0.1


async def _queue_up(line: WaitingLine, names: list[str], served: list[str]) -> list[asyncio.Task[None]]:
    async def wait(name: str) -> None:
        await line.take(timeout=10)
        served.append(name)

    tasks = []
    for name in names:
        tasks.append(asyncio.create_task(wait(name)))
        await asyncio.sleep(0)  # each one in line before the next arrives
    return tasks


async def _hand_out(line: WaitingLine, turns: int) -> None:
    """Give back `turns` turns, letting each waiter that gets one run before the next."""
    for _ in range(turns):
        line.give_back()
        await asyncio.sleep(0)


async def test_first_come_first_served_while_the_line_moves() -> None:
    line = WaitingLine(1, lifo_after=LIFO_AFTER)
    await line.take(timeout=1)
    served: list[str] = []
    tasks = await _queue_up(line, ["a", "b", "c"], served)

    await _hand_out(line, len(tasks))
    await asyncio.gather(*tasks)

    assert served == ["a", "b", "c"]


async def test_a_long_wait_below_the_threshold_is_still_first_come_first_served() -> None:
    line = WaitingLine(1, lifo_after=LIFO_AFTER * 5)
    await line.take(timeout=1)
    served: list[str] = []
    tasks = await _queue_up(line, ["a", "b"], served)
    await asyncio.sleep(LIFO_AFTER * 1.5)  # long, but a small share of the timeout
    tasks += await _queue_up(line, ["c"], served)

    await _hand_out(line, len(tasks))
    await asyncio.gather(*tasks)

    assert served == ["a", "b", "c"]


async def test_newest_first_once_the_head_has_waited_too_long() -> None:
    line = WaitingLine(1, lifo_after=LIFO_AFTER)
    await line.take(timeout=1)
    served: list[str] = []
    tasks = await _queue_up(line, ["old", "older-ish"], served)
    await asyncio.sleep(LIFO_AFTER * 1.5)  # the head has now waited past the threshold
    tasks += await _queue_up(line, ["new"], served)

    await _hand_out(line, 1)
    assert served == ["new"]
    await _hand_out(line, 2)
    await asyncio.gather(*tasks)
    assert served == ["new", "older-ish", "old"]


async def test_a_wait_that_times_out_leaves_no_trace() -> None:
    line = WaitingLine(1, lifo_after=LIFO_AFTER)
    await line.take(timeout=1)

    with pytest.raises(TimeoutError):
        await line.take(timeout=0.05)
    assert line.waiting == 0

    line.give_back()
    await asyncio.wait_for(line.take(timeout=1), timeout=1)  # the turn was not lost


async def test_a_turn_handed_to_a_waiter_that_is_cancelled_goes_to_the_next() -> None:
    line = WaitingLine(1, lifo_after=LIFO_AFTER)
    await line.take(timeout=1)
    served: list[str] = []
    first, second = await _queue_up(line, ["first", "second"], served)

    line.give_back()  # the first is handed the turn...
    first.cancel()  # ...and cancelled before it could use it
    await asyncio.gather(first, return_exceptions=True)
    await asyncio.wait_for(second, timeout=1)

    assert served == ["second"]
    assert line.waiting == 0


async def test_a_waiter_cancelled_in_line_is_skipped() -> None:
    line = WaitingLine(1, lifo_after=LIFO_AFTER)
    await line.take(timeout=1)
    served: list[str] = []
    first, second = await _queue_up(line, ["first", "second"], served)

    first.cancel()
    line.give_back()  # before the cancelled one has left the line
    await asyncio.gather(first, return_exceptions=True)
    await asyncio.wait_for(second, timeout=1)

    assert served == ["second"]
    assert line.waiting == 0

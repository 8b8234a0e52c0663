"""The line in front of the pool: first come first served per client, clients in turn, a
standing line refused from its head (flow-queue CoDel)."""

from __future__ import annotations

import asyncio

import pytest

from src.core.data.waiting_line import Refused, WaitingLine

TARGET = 0.05
INTERVAL = 0.1


def _line(size: int = 1) -> WaitingLine:
    return WaitingLine(size, target=TARGET, interval=INTERVAL)


async def _queue_up(
    line: WaitingLine, names: list[str], served: list[str], *, key: str | None = None, refused: list[str] | None = None
) -> list[asyncio.Task[None]]:
    async def wait(name: str) -> None:
        try:
            await line.take(timeout=10, key=key)
        except Refused:
            if refused is None:
                raise
            refused.append(name)
            return
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
    line = _line()
    await line.take(timeout=1)
    served: list[str] = []
    tasks = await _queue_up(line, ["a", "b", "c"], served)

    await _hand_out(line, len(tasks))
    await asyncio.gather(*tasks)

    assert served == ["a", "b", "c"]


async def test_a_wait_beyond_the_target_is_still_served_in_order_until_the_line_has_stood_for_an_interval() -> None:
    # What adaptive LIFO got wrong: a line that is long but moving must not starve its oldest.
    line = _line()
    await line.take(timeout=1)
    served: list[str] = []
    tasks = await _queue_up(line, ["a", "b"], served)
    await asyncio.sleep(TARGET * 1.5)  # past the target, not yet for an interval
    tasks += await _queue_up(line, ["c"], served)

    await _hand_out(line, len(tasks))
    await asyncio.gather(*tasks)

    assert served == ["a", "b", "c"]


async def test_a_line_that_stood_above_its_target_for_an_interval_refuses_those_that_waited_beyond_it() -> None:
    line = _line()
    await line.take(timeout=1)
    served: list[str] = []
    refused: list[str] = []
    old = await _queue_up(line, ["old-1", "old-2", "old-3"], served, refused=refused)
    await asyncio.sleep(TARGET * 1.5)
    await _hand_out(line, 1)  # old-1 served late: the line is above its target from now
    assert served == ["old-1"]
    await asyncio.sleep(INTERVAL)  # ...and stays above it for an interval
    new = await _queue_up(line, ["new"], served, refused=refused)

    await _hand_out(line, 1)  # old-2 and old-3 waited beyond the target: refused, new served
    await asyncio.gather(*old, *new)

    assert served == ["old-1", "new"]
    assert refused == ["old-2", "old-3"]
    assert line.waiting == 0


async def _refuse_b_then_serve_c(line: WaitingLine, served: list[str], refused: list[str]) -> list[asyncio.Task[None]]:
    """a served late, the line above its target for an interval: b refused, c (fresh) served."""
    await line.take(timeout=1)
    tasks = await _queue_up(line, ["a", "b"], served, refused=refused)
    await asyncio.sleep(TARGET * 1.5)
    await _hand_out(line, 1)
    await asyncio.sleep(INTERVAL)
    tasks += await _queue_up(line, ["c"], served, refused=refused)
    await _hand_out(line, 1)
    return tasks


async def test_a_line_served_within_its_target_again_stops_refusing() -> None:
    line = _line()
    served: list[str] = []
    refused: list[str] = []
    tasks = await _refuse_b_then_serve_c(line, served, refused)  # c within the target: refusing ends
    await asyncio.sleep(INTERVAL * 1.5)  # long after the last refusal
    tasks += await _queue_up(line, ["d"], served, refused=refused)
    await asyncio.sleep(TARGET * 1.5)

    await _hand_out(line, 1)  # d waited beyond the target, but the line has not stood for an interval
    await asyncio.gather(*tasks)

    assert served == ["a", "c", "d"]
    assert refused == ["b"]


async def test_a_line_that_stands_again_soon_after_a_refusal_is_refused_at_once() -> None:
    line = _line()
    served: list[str] = []
    refused: list[str] = []
    tasks = await _refuse_b_then_serve_c(line, served, refused)
    tasks += await _queue_up(line, ["d", "e"], served, refused=refused)
    await asyncio.sleep(TARGET * 1.5)  # within an interval of the refusal, above the target again

    await _hand_out(line, 1)  # the overload never drained: d and e refused, without another interval
    await asyncio.gather(*tasks)

    assert served == ["a", "c"]
    assert refused == ["b", "d", "e"]


async def test_clients_are_served_in_turn_so_a_flood_waits_behind_itself() -> None:
    line = _line()
    await line.take(timeout=1)
    served: list[str] = []
    tasks = await _queue_up(line, [f"flood-{n}" for n in range(5)], served, key="flooder")
    tasks += await _queue_up(line, ["alice-1", "alice-2"], served, key="alice")
    tasks += await _queue_up(line, ["bob-1"], served, key="bob")

    await _hand_out(line, len(tasks))
    await asyncio.gather(*tasks)

    assert served == ["flood-0", "alice-1", "bob-1", "flood-1", "alice-2", "flood-2", "flood-3", "flood-4"]


async def test_a_flooding_client_is_refused_while_the_others_are_served() -> None:
    line = _line()
    await line.take(timeout=1)
    served: list[str] = []
    refused: list[str] = []
    tasks = await _queue_up(line, [f"flood-{n}" for n in range(4)], served, key="flooder", refused=refused)
    await asyncio.sleep(TARGET * 1.5)
    await _hand_out(line, 1)  # flood-0, late: the flooder's line is above its target
    await asyncio.sleep(INTERVAL)
    tasks += await _queue_up(line, ["alice"], served, key="alice", refused=refused)

    await _hand_out(line, 2)  # alice, fresh, is served; the flooder's stale waiters are refused
    await asyncio.gather(*tasks)

    assert served == ["flood-0", "alice"]
    assert refused == ["flood-1", "flood-2", "flood-3"]


async def test_a_wait_that_times_out_leaves_no_trace() -> None:
    line = _line()
    await line.take(timeout=1)

    with pytest.raises(TimeoutError):
        await line.take(timeout=0.05, key="someone")
    assert line.waiting == 0

    line.give_back()
    await asyncio.wait_for(line.take(timeout=1), timeout=1)  # the turn was not lost


async def test_a_turn_handed_to_a_waiter_that_is_cancelled_goes_to_the_next() -> None:
    line = _line()
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
    line = _line()
    await line.take(timeout=1)
    served: list[str] = []
    first, second = await _queue_up(line, ["first", "second"], served, key="a")

    first.cancel()
    line.give_back()  # before the cancelled one has left the line
    await asyncio.gather(first, return_exceptions=True)
    await asyncio.wait_for(second, timeout=1)

    assert served == ["second"]
    assert line.waiting == 0


async def test_turns_are_not_lost_when_every_waiter_left() -> None:
    line = _line(size=2)
    await line.take(timeout=1)
    await line.take(timeout=1)
    for key in ("a", "b"):
        with pytest.raises(TimeoutError):
            await line.take(timeout=0.01, key=key)

    line.give_back()
    line.give_back()

    await asyncio.wait_for(line.take(timeout=1, key="c"), timeout=1)
    await asyncio.wait_for(line.take(timeout=1, key="d"), timeout=1)
    assert line.waiting == 0


async def test_a_full_line_that_refused_turns_newcomers_away_on_arrival_until_an_interval_passes() -> None:
    line = _line()
    await line.take(timeout=1)
    served: list[str] = []
    refused: list[str] = []
    tasks = await _queue_up(line, ["a", "b", "c", "d"], served, key="busy", refused=refused)
    await asyncio.sleep(TARGET * 1.5)
    await _hand_out(line, 1)  # a, late: above the target from now
    await asyncio.sleep(0.01)
    await _hand_out(line, 1)  # b, 10 ms after a: the time between two turns is known
    await asyncio.sleep(INTERVAL)
    tasks += await _queue_up(line, ["e", "f", "g", "h", "i"], served, key="busy", refused=refused)
    assert line.admits("busy")  # nothing refused yet: a burst is still taken in
    await _hand_out(line, 1)  # c and d refused; e served; f-i still waiting

    assert refused == ["c", "d"]
    assert not line.admits("busy")  # four more would wait beyond the target: refused now
    assert line.admits("someone else")
    await asyncio.sleep(INTERVAL * 1.1)
    assert line.admits("busy")  # an interval without a refusal: taken in again

    await _hand_out(line, 4)
    await asyncio.gather(*tasks)
    assert served == ["a", "b", "e", "f", "g", "h", "i"]

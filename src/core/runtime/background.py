"""Background tasks owned by the lifespan: tracked, logged when they fail, cancelled at shutdown.

A task started with `asyncio.create_task` and forgotten can be garbage-collected mid-run
and its exception lost; `BackgroundTasks` keeps a reference until it ends and logs how it
ended. The lifespan cancels and awaits whatever is still running before closing the pool
and the HTTP client the tasks may be using.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from src.core.observability.logging import get_logger

__all__ = ("BackgroundTasks",)

log = get_logger(component="background")


class BackgroundTasks:
    __slots__ = ("_tasks",)

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, coroutine: Coroutine[Any, Any, Any], *, name: str) -> asyncio.Task[Any]:
        task = asyncio.create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        if (exc := task.exception()) is not None:
            log.error("background_task_failed", task=task.get_name(), exc_info=exc)

    async def shutdown(self, timeout: float) -> None:
        """Cancel every task and wait (bounded) for them to finish their cleanup."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if not tasks:
            return
        _, still_running = await asyncio.wait(tasks, timeout=timeout)
        if still_running:
            log.warning("background_tasks_did_not_stop", tasks=sorted(t.get_name() for t in still_running))

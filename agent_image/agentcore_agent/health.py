"""The ``/ping`` state: Healthy, or HealthyBusy while background work runs.

Why a counter and a stamped transition time: AgentCore keeps a session's microVM alive while it
reports HealthyBusy, and reads ``time_of_last_update`` to judge idleness. Stamping "now" on every
ping would keep idle sessions alive until their maximum lifetime, so the time moves only when the
status actually changes. In-flight ``/invocations`` are tracked by the platform itself, so they do
not count here: only work that outlives a request does.

Extension point for tools and handlers (one tracker per process, ``background``)::

    from agentcore_agent.health import background

    async with background.work():          # HealthyBusy until the block exits
        await upload_transcript()

    background.spawn(upload_transcript())   # fire-and-forget task, HealthyBusy until it ends
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

from .contract import PingStatus

logger = logging.getLogger(__name__)


class BackgroundWork:
    """Counts running background jobs and derives the ping status from the count."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._running = 0
        self._status = PingStatus.HEALTHY
        self._changed_at = int(clock())
        self._tasks: set[asyncio.Task[Any]] = set()

    def ping(self) -> dict[str, str | int]:
        """The ``/ping`` body: status and the unix second it last changed."""
        return {"status": self._status.value, "time_of_last_update": self._changed_at}

    @asynccontextmanager
    async def work(self) -> AsyncIterator[None]:
        """Report HealthyBusy while the block runs (nesting and concurrency are counted)."""
        self._adjust(+1)
        try:
            yield
        finally:
            self._adjust(-1)

    def spawn(self, coroutine: Coroutine[Any, Any, Any], *, name: str | None = None) -> asyncio.Task[Any]:
        """Run a coroutine as a background task, reporting HealthyBusy until it finishes.

        The task is referenced here until done (asyncio keeps only weak references), and its
        failure is logged rather than lost.
        """
        self._adjust(+1)
        task = asyncio.get_running_loop().create_task(coroutine, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        self._adjust(-1)
        if not task.cancelled() and task.exception() is not None:
            logger.error("background task %s failed", task.get_name(), exc_info=task.exception())

    def _adjust(self, delta: int) -> None:
        self._running += delta
        status = PingStatus.HEALTHY_BUSY if self._running else PingStatus.HEALTHY
        if status is not self._status:
            self._status = status
            self._changed_at = int(self._clock())


background = BackgroundWork()

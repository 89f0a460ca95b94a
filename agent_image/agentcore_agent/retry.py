"""Retry throttled model calls within a total time budget.

Why: two retry loops stack up on a throttled model. botocore retries each call a few times
(``MODEL_MAX_ATTEMPTS``, standard mode), and Strands' default strategy retries the whole model
call six times with 4-64 s sleeps, which adds up to minutes before the caller hears anything.
This hook replaces Strands' strategy (the agent is built with ``retry_strategy=None``): it keeps
retrying with jittered exponential backoff only while the time since the first throttled call
began, plus the next sleep, stays within ``budget_seconds``. A throttled model therefore yields
an error after roughly the budget plus one last call.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from strands.hooks import AfterInvocationEvent, AfterModelCallEvent, BeforeModelCallEvent, HookProvider, HookRegistry
from strands.types.exceptions import ModelThrottledException

logger = logging.getLogger(__name__)


class ThrottleRetryBudget(HookProvider):
    """A Strands hook: retry ``ModelThrottledException`` until the time budget would be exceeded."""

    def __init__(
        self,
        budget_seconds: float,
        *,
        base_delay: float = 1.0,
        max_delay: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        self._budget = budget_seconds
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._clock = clock
        self._sleep = sleep
        self._jitter = jitter
        self._call_started = 0.0
        self._throttled_since: float | None = None
        self._retries = 0

    def register_hooks(self, registry: HookRegistry, **kwargs: Any) -> None:
        registry.add_callback(BeforeModelCallEvent, self._before_model_call)
        registry.add_callback(AfterModelCallEvent, self._after_model_call)
        registry.add_callback(AfterInvocationEvent, self._reset)

    def _before_model_call(self, event: BeforeModelCallEvent) -> None:
        self._call_started = self._clock()

    async def _after_model_call(self, event: AfterModelCallEvent) -> None:
        if event.retry:
            return
        if not isinstance(event.exception, ModelThrottledException):
            if event.exception is None:
                self._reset(None)
            return
        if self._throttled_since is None:
            self._throttled_since = self._call_started
        # Full-range jitter in [delay/2, delay): concurrent sessions do not retry in lockstep.
        delay = min(self._max_delay, self._base_delay * 2**self._retries) * (0.5 + self._jitter() / 2)
        spent = self._clock() - self._throttled_since
        if spent + delay > self._budget:
            logger.warning(
                "model throttled; retry budget spent (%.1fs of %.1fs, %d retries), giving up",
                spent,
                self._budget,
                self._retries,
            )
            return
        self._retries += 1
        logger.info("model throttled; retry %d in %.2fs", self._retries, delay)
        await self._sleep(delay)
        event.retry = True

    def _reset(self, event: AfterInvocationEvent | None) -> None:
        self._throttled_since = None
        self._retries = 0

"""Pacing a feed in wall time: real time, a replay factor, or as fast as possible."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime

from arena.domain.market import QuoteBatch
from arena.feeds.spec import SpeedMode, SpeedSpec

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]

MAX_STEP_SECONDS = 60.0
YIELD_EVERY = 256


class Pacer:
    """Sleeps before each batch so that batches are released at the speed asked for.

    Call ``await pacer.wait(batch)`` just before handling each batch. The first
    batch (and the first after `reset`) is released at once and anchors a
    schedule on the monotonic ``clock``; each following batch is due one step
    after the previous one was due, so sleeping late or spending time on a
    round does not make the run drift:

    - REALTIME: a step is ``interval_s`` wall seconds.
    - FACTOR: a step is the feed-time gap to the previous batch divided by
      ``factor``, capped at ``max_step_s`` (60 s by default) so that a gap in
      the data (a weekend, a missing day) does not freeze the replay.
    - MAX: never waits, but awaits ``sleep(0)`` every ``yield_every`` batches so
      a max-speed run lets the event loop serve others without paying for a
      context switch on every batch.

    A batch that is already due is released at once. If it is late by more than
    one step, the schedule is re-anchored at now: a slow round delays the rest,
    it does not cause a burst of catch-up batches (less than a step late, the
    schedule is kept, so occasional overruns do not add up to drift). Call
    `reset` after a pause for the same reason.
    """

    def __init__(
        self,
        speed: SpeedSpec,
        *,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        max_step_s: float = MAX_STEP_SECONDS,
        yield_every: int = YIELD_EVERY,
    ) -> None:
        if max_step_s <= 0:
            raise ValueError(f"max_step_s must be positive, got {max_step_s}")
        if yield_every < 1:
            raise ValueError(f"yield_every must be at least 1, got {yield_every}")
        self._speed = speed
        self._sleep = sleep
        self._clock = clock
        self._max_step_s = max_step_s
        self._yield_every = yield_every
        self._due: float | None = None  # monotonic time the previous batch was due
        self._previous_time: datetime | None = None  # feed time of the previous batch
        self._since_yield = 0

    @property
    def speed(self) -> SpeedSpec:
        return self._speed

    def reset(self) -> None:
        """Forget the schedule (after a pause): the next batch goes at once and re-anchors it."""
        self._due = None
        self._previous_time = None
        self._since_yield = 0

    async def wait(self, batch: QuoteBatch) -> None:
        """Return when ``batch`` is due."""
        if self._speed.mode is SpeedMode.MAX:
            self._since_yield += 1
            if self._since_yield >= self._yield_every:
                self._since_yield = 0
                await self._sleep(0)
            return
        step = self._step(batch.timestamp)
        self._previous_time = batch.timestamp
        now = self._clock()
        if self._due is None or step is None:
            self._due = now
            return
        due = self._due + step
        delay = due - now
        if delay < -step:
            logger.debug("pacer is %.3fs behind schedule; re-anchoring at now", -delay)
            self._due = now
            return
        self._due = due
        if delay > 0:
            await self._sleep(delay)

    def _step(self, timestamp: datetime) -> float | None:
        """Wall seconds between the previous batch and this one; None for the first."""
        if self._speed.mode is SpeedMode.REALTIME:
            return self._speed.interval_s if self._due is not None else None
        if self._previous_time is None:
            return None
        gap = (timestamp - self._previous_time).total_seconds()
        return min(max(gap, 0.0) / self._speed.factor, self._max_step_s)

"""Where the arena's batches come from: the shared market feed, or the running competition's own.

A `Source` gives the runner one way to wait for its next batch, whatever the feed:
- a recorded feed (simulation, replay) is paced here, at the speed asked for, from its
  deterministic iterator;
- a live feed paces itself (a round per interval when a quote came) and may be silent for long.
Either wait ends at once when the runner interrupts it (a shutdown; a switch of feeds).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any

from arena.domain.market import QuoteBatch
from arena.feeds.base import Feed, FeedInfo, LiveFeed, RecordedFeed
from arena.feeds.pacing import Pacer
from arena.feeds.spec import SpeedSpec


class Interrupted(Exception):
    """The wait for a batch was cut short: nothing is lost, the next call waits again."""


@dataclass(slots=True)
class Source:
    feed: Feed
    owned: bool  # owned by the current competition (it ends with it, and pauses with it)
    pacer: Pacer | None  # None: the feed paces itself (live)
    batches: Iterator[QuoteBatch] | None = None  # a recorded feed's batches
    live: AsyncIterator[QuoteBatch] | None = None  # a live feed's stream
    held: QuoteBatch | None = None  # taken but not played: it goes first next time
    _pending: asyncio.Future[QuoteBatch] | None = field(default=None, repr=False)

    @classmethod
    def open(cls, feed: Feed, speed: SpeedSpec, *, owned: bool, batches: Iterator[QuoteBatch] | None = None) -> Source:
        """`batches` continues a recorded feed's iterator already under way (a resumed replay); by default
        the feed starts from its beginning."""
        if isinstance(feed, RecordedFeed):
            return cls(feed, owned, Pacer(speed), batches=batches if batches is not None else feed.batches())
        if isinstance(feed, LiveFeed):
            return cls(feed, owned, None, live=aiter(feed.stream()))
        raise TypeError(f"{type(feed).__name__} is neither a recorded nor a live feed")

    @property
    def info(self) -> FeedInfo:
        return self.feed.info

    @property
    def max_speed(self) -> bool:
        return self.pacer is not None and self.pacer.speed.is_max

    async def next(self, interrupt: asyncio.Event) -> QuoteBatch | None:
        """The next batch when it is due; None when the feed has ended; raises Interrupted when
        `interrupt` is set first (a recorded feed's batch is then held, a live one stays pending)."""
        held = self.held
        if held is not None:
            self.held = None
            return held
        if self.pacer is None:
            return await self._next_live(interrupt)
        assert self.batches is not None
        batch = next(self.batches, None)
        if batch is None:
            return None
        if self.pacer.speed.is_max:
            await self.pacer.wait(batch)  # yields now and then, never waits
            return batch
        if not await _first(self.pacer.wait(batch), interrupt):
            self.held = batch
            raise Interrupted
        return batch

    def take(self) -> QuoteBatch | None:
        """The next batch of a recorded feed played at max speed, at once (nothing to wait for);
        None when there is none to take so (a paced or live feed, or the end of the data: `next`
        says which)."""
        if self.batches is None or self.pacer is None or not self.pacer.speed.is_max:
            return None
        held = self.held
        if held is not None:
            self.held = None
            return held
        return next(self.batches, None)

    def hold(self, batch: QuoteBatch) -> None:
        """Keep a batch for later: a competition's own feed must not skip one when it pauses, or
        replaying it after a crash would not give the same run."""
        self.held = batch

    async def close(self) -> None:
        if self._pending is not None:
            self._pending.cancel()
        if isinstance(self.feed, LiveFeed):
            await self.feed.aclose()

    async def _next_live(self, interrupt: asyncio.Event) -> QuoteBatch | None:
        assert self.live is not None
        if self._pending is None:
            self._pending = asyncio.ensure_future(anext(self.live))
        stop = asyncio.ensure_future(interrupt.wait())
        waiting: set[asyncio.Future[Any]] = {self._pending, stop}
        try:
            await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if not self._pending.done():
            raise Interrupted
        pending, self._pending = self._pending, None
        try:
            return pending.result()
        except StopAsyncIteration:
            return None


async def _first(wait: Coroutine[Any, Any, None], interrupt: asyncio.Event) -> bool:
    """True when `wait` finished before `interrupt` was set."""
    pacing = asyncio.ensure_future(wait)
    stop = asyncio.ensure_future(interrupt.wait())
    try:
        await asyncio.wait({pacing, stop}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        pacing.cancel()
        stop.cancel()
    return pacing.done() and not pacing.cancelled()


class Sources:
    """The shared market feed runs from start; a competition with its own feed plays that one instead."""

    def __init__(self, market: Feed | None = None, market_speed: SpeedSpec = SpeedSpec()) -> None:
        self.market_speed = market_speed
        self.market = Source.open(market, market_speed, owned=False) if market is not None else None
        self.own: Source | None = None

    @property
    def current(self) -> Source | None:
        return self.own or self.market

    def use_market(self, feed: Feed) -> None:
        """Set the shared market feed (before the runner plays; e.g. once `auto` has chosen)."""
        self.market = Source.open(feed, self.market_speed, owned=False)

    def play_own(self, source: Source) -> None:
        self.own = source

    def end_own(self) -> None:
        self.own = None

    def market_ran_out(self) -> None:
        self.market = None

    async def close(self) -> None:
        for source in (self.own, self.market):
            if source is not None:
                await source.close()

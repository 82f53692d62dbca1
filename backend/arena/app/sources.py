"""Where the arena's batches come from: the shared market feed, or the running competition's own."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

from arena.domain.market import QuoteBatch
from arena.feeds.base import Feed, FeedInfo
from arena.feeds.pacing import Pacer
from arena.feeds.spec import SpeedSpec


@dataclass(slots=True)
class Source:
    feed: Feed
    batches: Iterator[QuoteBatch]
    pacer: Pacer
    owned: bool  # owned by the current competition (it ends with it, and pauses with it)
    held: QuoteBatch | None = None  # taken but not played: it goes first next time

    def next_batch(self) -> QuoteBatch | None:
        """The held batch, else the feed's next one (None when the feed has ended)."""
        if self.held is not None:
            batch, self.held = self.held, None
            return batch
        return next(self.batches, None)

    def hold(self, batch: QuoteBatch) -> None:
        """Keep a batch for later: a competition's own feed must not skip one when it pauses, or
        replaying it after a crash would not give the same run."""
        self.held = batch

    @classmethod
    def open(cls, feed: Feed, speed: SpeedSpec, *, owned: bool, batches: Iterator[QuoteBatch] | None = None) -> Source:
        """`batches` continues an iterator already under way (a resumed replay); by default the feed starts over."""
        return cls(feed, batches if batches is not None else feed.batches(), Pacer(speed), owned)

    @property
    def info(self) -> FeedInfo:
        return self.feed.info

    @property
    def max_speed(self) -> bool:
        return self.pacer.speed.is_max

    async def wait_for_turn(self, batch: QuoteBatch, interrupt: asyncio.Event) -> None:
        """Wait until `batch` is due, but wake at once when `interrupt` is set (a long interval must not
        delay a shutdown). At max speed the runner calls `pacer.wait` itself: no wait to interrupt."""
        pacing = asyncio.ensure_future(self.pacer.wait(batch))
        interrupted = asyncio.ensure_future(interrupt.wait())
        try:
            await asyncio.wait({pacing, interrupted}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pacing, interrupted):
                task.cancel()


class Sources:
    """The shared market feed runs from start; a competition with its own feed plays that one instead."""

    def __init__(self, market: Feed | None = None, market_speed: SpeedSpec = SpeedSpec()) -> None:
        self.market = Source.open(market, market_speed, owned=False) if market is not None else None
        self.own: Source | None = None

    @property
    def current(self) -> Source | None:
        return self.own or self.market

    def play_own(self, source: Source) -> None:
        self.own = source

    def end_own(self) -> None:
        self.own = None

    def market_ran_out(self) -> None:
        self.market = None

"""The shared market feed as the settings ask for it; `auto`: live from Coinbase when it answers
within a few seconds, otherwise the seeded simulation, saying which and why."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator, Sequence
from dataclasses import replace

from arena.domain.market import QuoteBatch
from arena.feeds.base import Feed, FeedInfo, FeedStatus, LiveFeed, RecordedFeed
from arena.feeds.factory import build_feed
from arena.feeds.live.exchanges import LiveOptions
from arena.feeds.spec import FeedMode, FeedSpec

logger = logging.getLogger(__name__)

AUTO_EXCHANGE = "coinbase"


class Noted:
    """A recorded feed with a note on why it plays (e.g. that the live feed was unreachable)."""

    def __init__(self, feed: RecordedFeed, note: str) -> None:
        self._feed = feed
        self._info = replace(feed.info, note=note)

    @property
    def info(self) -> FeedInfo:
        return self._info

    def batches(self) -> Iterator[QuoteBatch]:
        return self._feed.batches()


async def market_feed(spec: FeedSpec, symbols: Sequence[str], live: LiveOptions, probe_seconds: float) -> Feed:
    if spec.mode is not FeedMode.AUTO:
        return build_feed(spec, symbols, live=live)
    candidate = build_feed(FeedSpec(FeedMode.LIVE, exchange=AUTO_EXCHANGE), live=live)
    assert isinstance(candidate, LiveFeed)
    reason = await _probe(candidate, probe_seconds)
    if reason is None:
        logger.info("feed: %s (auto: it answered)", candidate.info.description)
        return candidate
    await candidate.aclose()
    fallback = build_feed(FeedSpec(FeedMode.SIM, seed=spec.seed), symbols)
    assert isinstance(fallback, RecordedFeed)
    note = f"offline: live feed unreachable ({reason})"
    logger.warning("feed: %s, %s", fallback.info.description, note)
    return Noted(fallback, note)


async def _probe(feed: LiveFeed, seconds: float) -> str | None:
    """None when the feed is LIVE (any message arrived) within `seconds`; else why not."""
    stream = aiter(feed.stream())  # starts the connection; the batches are read later by the runner
    first = asyncio.ensure_future(anext(stream))
    try:
        for _ in range(max(1, int(seconds / 0.05))):
            if feed.status is FeedStatus.LIVE:
                return None
            await asyncio.sleep(0.05)
    finally:
        first.cancel()
    error = getattr(feed, "error", None)
    return f"{feed.info.description} did not answer within {seconds:g} s" + (f": {error}" if error else "")

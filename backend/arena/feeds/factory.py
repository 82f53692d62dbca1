"""Building the feed a `FeedSpec` asks for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from arena.errors import ArenaError, ErrorCode
from arena.feeds.base import Feed
from arena.feeds.live.exchanges import LiveOptions, live_feed
from arena.feeds.replay import ReplayFeed
from arena.feeds.simulated import SimulatedFeed
from arena.feeds.spec import FeedMode, FeedSpec


def build_feed(
    spec: FeedSpec, symbols: Sequence[str] = (), *, feed_id: str | None = None, live: LiveOptions | None = None
) -> Feed:
    """The feed ``spec`` asks for, named ``feed_id`` (default: the spec's label).

    Simulation trades ``spec.symbols``, else ``symbols`` (typically the
    competition's), else the default BTC/ETH/SOL set; names without built-in
    parameters get a generic instrument. A replay reads ``spec.paths``, naming
    them ``spec.symbols`` when given (one per path) and from the files otherwise. A live feed
    reads ``spec.exchange`` (its default symbols unless ``spec.symbols``), connected as ``live`` says.
    ``auto`` is resolved before a feed is built (see `arena.app.auto_feed`).
    """
    feed_id = feed_id or spec.label
    if spec.mode is FeedMode.SIM:
        names = tuple(spec.symbols) or tuple(symbols)
        start = datetime.fromisoformat(spec.start) if spec.start else None
        return SimulatedFeed(names or None, spec.seed, spec.step_seconds, start=start, feed_id=feed_id)
    if spec.mode is FeedMode.REPLAY:
        return ReplayFeed(spec.paths, spec.symbols or None, feed_id=feed_id)
    if spec.mode is FeedMode.LIVE:
        return live_feed(spec.exchange, spec.symbols, feed_id, live or LiveOptions())
    raise ArenaError(ErrorCode.INVALID_CONFIG, f"unknown feed mode {spec.mode!r}", "feed")

"""Building the feed a `FeedSpec` asks for."""

from __future__ import annotations

from datetime import datetime

from collections.abc import Sequence

from arena.engine.config import FeedMode, FeedSpec
from arena.errors import ArenaError, ErrorCode
from arena.feeds.base import Feed
from arena.feeds.replay import ReplayFeed
from arena.feeds.simulated import SimulatedFeed


def build_feed(spec: FeedSpec, symbols: Sequence[str] = ()) -> Feed:
    """A simulated or replay feed for ``spec``.

    Simulation trades ``spec.symbols``, else ``symbols`` (typically the
    competition's), else the default BTC/ETH/SOL set; names without built-in
    parameters get a generic instrument. A replay reads ``spec.paths``, naming
    them ``spec.symbols`` when given (one per path) and from the files otherwise.
    """
    if spec.mode is FeedMode.SIM:
        names = tuple(spec.symbols) or tuple(symbols)
        start = datetime.fromisoformat(spec.start) if spec.start else None
        return SimulatedFeed(names or None, spec.seed, spec.step_seconds, start=start)
    if spec.mode is FeedMode.REPLAY:
        return ReplayFeed(spec.paths, spec.symbols or None)
    raise ArenaError(ErrorCode.INVALID_CONFIG, f"unknown feed mode {spec.mode!r}", "feed")

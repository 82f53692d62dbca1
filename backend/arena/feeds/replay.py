"""Replaying recorded files as a feed: several files become several symbols, in time order."""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from arena.domain.market import Quote, QuoteBatch
from arena.errors import ArenaError, ErrorCode
from arena.feeds.base import FeedInfo, FeedKind
from arena.feeds.changes import ChangeTracker
from arena.feeds.errors import FeedFileError
from arena.feeds.loader import ReplaySeries, load_series

__all__ = ["FeedFileError", "ReplayFeed", "ReplaySeries", "load_series"]

logger = logging.getLogger(__name__)


class ReplayFeed:
    """A feed over one or more recorded files, all loaded and checked up front.

    Every file is one symbol (``symbols`` names them, one per path; otherwise
    see `load_series`); two files resolving to the same symbol are refused. The
    quotes of all files are merged in timestamp order (files in the given order
    on ties) and quotes sharing a timestamp form one batch -- except that a batch
    holds at most one quote per symbol, so trades of one symbol sharing a
    timestamp become consecutive batches with that same timestamp.

    The batches are built once; `batches()` just iterates them.
    """

    def __init__(
        self, paths: Sequence[str | Path], symbols: Sequence[str] | None = None, *, feed_id: str | None = None
    ) -> None:
        """`feed_id` names the feed in stored ticks (default `replay:` and the file names)."""
        if isinstance(paths, (str, Path)):
            paths = (paths,)
        if not paths:
            raise ArenaError(ErrorCode.FEED_ERROR, "a replay needs at least one file", "feed")
        if symbols is not None and len(symbols) != len(paths):
            raise ArenaError(
                ErrorCode.FEED_ERROR,
                f"a replay needs one symbol per file: got {len(symbols)} symbols for {len(paths)} files",
                "feed",
            )
        series = [load_series(path, None if symbols is None else symbols[i]) for i, path in enumerate(paths)]
        _refuse_shared_symbols(series)
        self._batches = _build_batches(series)
        self._info = FeedInfo(
            id=feed_id or "replay:" + ",".join(s.source for s in series),
            kind=FeedKind.REPLAY,
            symbols=tuple(s.symbol for s in series),
            sources=tuple(s.source for s in series),
            description="Replay of " + ", ".join(f"{s.source} ({len(s):,} {s.row_noun})" for s in series),
        )
        self._start = self._batches[0].timestamp
        self._end = self._batches[-1].timestamp
        logger.info("%s: %d batches from %s to %s", self._info.description, len(self._batches), self._start, self._end)

    @property
    def info(self) -> FeedInfo:
        return self._info

    @property
    def start(self) -> datetime:
        return self._start

    @property
    def end(self) -> datetime:
        return self._end

    def __len__(self) -> int:
        return len(self._batches)

    def batches(self) -> Iterator[QuoteBatch]:
        """The recorded batches, from the first, once (a replay ends)."""
        return iter(self._batches)


def _refuse_shared_symbols(series: Sequence[ReplaySeries]) -> None:
    seen: dict[str, ReplaySeries] = {}
    for item in series:
        other = seen.get(item.symbol)
        if other is not None:
            raise FeedFileError(
                item.source,
                f"resolves to symbol {item.symbol!r}, like {other.source}; give each file its own symbol",
            )
        seen[item.symbol] = item


def _build_batches(series: Sequence[ReplaySeries]) -> list[QuoteBatch]:
    changes = ChangeTracker()
    if len(series) == 1:  # one symbol: a batch per quote (a batch holds one quote per symbol)
        return [QuoteBatch(quote.timestamp, (quote,)) for quote in _quotes(series[0], changes)]
    batches: list[QuoteBatch] = []
    current: list[Quote] = []
    current_symbols: set[str] = set()
    for quote in heapq.merge(*(_quotes(item, changes) for item in series), key=_quote_time):
        if current and (quote.timestamp != current[0].timestamp or quote.symbol in current_symbols):
            batches.append(QuoteBatch(current[0].timestamp, tuple(current)))
            current = []
            current_symbols = set()
        current.append(quote)
        current_symbols.add(quote.symbol)
    if current:
        batches.append(QuoteBatch(current[0].timestamp, tuple(current)))
    return batches


def _quotes(series: ReplaySeries, changes: ChangeTracker) -> Iterator[Quote]:
    symbol = series.symbol
    update = changes.update
    for timestamp, price, volume in zip(series.timestamps, series.prices, series.volumes, strict=True):
        yield Quote(symbol, price, timestamp, volume, update(symbol, price, timestamp))


def _quote_time(quote: Quote) -> datetime:
    return quote.timestamp

"""A live feed: an exchange connection's ticks, conflated into rounds.

Every `interval` seconds (wall time) a round carries the latest quote of each symbol that ticked
since the last round (the ticks in between are conflated: the last wins). No fresh quote, no
round: agents never trade on a stale price. A quote is stamped with its round's time, so a
recorded session, exported and replayed, gives the same rounds again.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx

from arena.domain.market import Quote, QuoteBatch
from arena.feeds.base import FeedInfo, FeedKind, FeedStatus
from arena.feeds.changes import ChangeTracker
from arena.feeds.live.connection import Connection, FeedObserver
from arena.feeds.live.protocol import BadMessage, Candle, Exchange, Tick

logger = logging.getLogger(__name__)

HISTORY = timedelta(hours=24)
HISTORY_TIMEOUT = 10.0
CLOSE_TIMEOUT = 5.0


class ExchangeFeed:
    def __init__(
        self,
        exchange: Exchange,
        symbols: Sequence[str],
        *,
        feed_id: str,
        url: str | None = None,
        rest_url: str | None = None,
        interval: float = 1.0,
        stale_after: float = 10.0,
        observer: FeedObserver | None = None,
    ) -> None:
        self.exchange = exchange
        self.symbols = tuple(symbols)
        self._by_exchange_name = {exchange.exchange_symbol(s): s for s in self.symbols}  # refuses unknown ones
        self.url = url or exchange.websocket_url
        self.rest_url = rest_url or exchange.rest_url
        self.interval = interval
        self._info = FeedInfo(
            id=feed_id,
            kind=FeedKind.LIVE,
            symbols=self.symbols,
            sources=(self.url,),
            description=f"Live · {exchange.title} ({self.url})",
        )
        self._connection = Connection(
            exchange, self.url, self.symbols, self._take, stale_after=stale_after, observer=observer
        )
        self._fresh: dict[str, Tick] = {}  # arena symbol -> the latest tick since the last round
        self._last_time: dict[str, datetime] = {}
        self._last_quote_at: float | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def info(self) -> FeedInfo:
        return self._info

    @property
    def status(self) -> FeedStatus:
        return self._connection.status

    @property
    def error(self) -> str | None:
        return self._connection.error

    def last_quote_age(self) -> float | None:
        return None if self._last_quote_at is None else time.monotonic() - self._last_quote_at

    async def stream(self) -> AsyncIterator[QuoteBatch]:
        self._start()
        due = time.monotonic() + self.interval
        while True:
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            due += self.interval
            if due < time.monotonic():  # fell behind (a long round): keep the rhythm from now
                due = time.monotonic() + self.interval
            if not self._fresh:
                continue
            fresh, self._fresh = self._fresh, {}
            at = datetime.now(UTC)
            quotes = tuple(
                Quote(symbol, fresh[symbol].price, at, None, fresh[symbol].change_pct or 0.0)
                for symbol in self.symbols
                if symbol in fresh
            )
            yield QuoteBatch(at, quotes)

    def _start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._connection.run(), name=f"live-{self.exchange.name}")

    def _take(self, ticks: Sequence[Tick]) -> None:
        for tick in ticks:
            symbol = self._by_exchange_name.get(tick.symbol)
            if symbol is None:
                self._connection.bad("unknown_symbol", f"{tick.symbol!r} was not subscribed")
                continue
            if tick.exchange_time is not None:
                last = self._last_time.get(symbol)
                if last is not None and tick.exchange_time < last:
                    self._connection.bad("time_backwards", f"{symbol} at {tick.exchange_time} after {last}")
                    continue
                self._last_time[symbol] = tick.exchange_time
            self._fresh[symbol] = tick
            self._last_quote_at = time.monotonic()

    async def history(self) -> list[Quote]:
        """The last 24 h of 1-minute candles of every symbol, as quotes at their bars' close, oldest first."""
        end = datetime.now(UTC).replace(second=0, microsecond=0)
        start = end - HISTORY
        candles: list[Candle] = []
        async with httpx.AsyncClient(timeout=HISTORY_TIMEOUT) as client:
            for symbol in self.symbols:
                for request in self.exchange.history_requests(self.rest_url, symbol, start, end):
                    response = await client.get(request.url, params=request.params)
                    response.raise_for_status()
                    candles.extend(self.exchange.parse_history(symbol, response.json(parse_float=Decimal)))
        return _quotes(candles, start, end)

    async def aclose(self) -> None:
        """Stop the connection; a shutdown waits for it at most `CLOSE_TIMEOUT` seconds."""
        if self._task is not None:
            task, self._task = self._task, None
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=CLOSE_TIMEOUT)
            if not done:
                logger.warning("%s: the connection did not stop within %g s", self.exchange.title, CLOSE_TIMEOUT)


def _quotes(candles: Sequence[Candle], start: datetime, end: datetime) -> list[Quote]:
    """Candles in time order as quotes, each bar once, with the change over the window so far."""
    unique = {(c.symbol, c.start): c for c in candles if start <= c.start < end}
    changes = ChangeTracker()
    quotes = []
    for candle in sorted(unique.values(), key=lambda c: (c.start, c.symbol)):
        change = changes.update(candle.symbol, candle.close, candle.start)
        quotes.append(Quote(candle.symbol, candle.close, candle.start, candle.volume, change))
    return quotes


__all__ = ["BadMessage", "ExchangeFeed"]

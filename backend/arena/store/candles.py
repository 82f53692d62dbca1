"""OHLC candles from price ticks (pure; `store.prices` feeds it rows from SQL)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from arena.domain.values import ZERO
from arena.store.columns import from_micros


@dataclass(frozen=True, slots=True)
class Candle:
    """Ticks with `start <= timestamp < end`; `volume` sums the ticks that report one."""

    symbol: str
    start: datetime
    end: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    ticks: int


def bucket_start(micros: int, interval_micros: int) -> int:
    """Start of the bucket holding `micros`; buckets are aligned to the Unix epoch."""
    return micros - micros % interval_micros


def aggregate_candles(
    symbol: str, ticks: Iterable[tuple[int, Decimal, Decimal | None]], interval_micros: int
) -> list[Candle]:
    """Candles from `(timestamp_micros, price, volume)` ticks in chronological order.

    Open is the first tick of a bucket and close the last (ties in time keep the
    given order); buckets without ticks are omitted.
    """
    if interval_micros <= 0:
        raise ValueError("interval must be positive")
    candles: list[Candle] = []
    current: int | None = None
    open_ = high = low = close = volume = ZERO
    count = 0

    def flush() -> None:
        assert current is not None
        candles.append(
            Candle(
                symbol,
                from_micros(current),
                from_micros(current + interval_micros),
                open_,
                high,
                low,
                close,
                volume,
                count,
            )
        )

    for micros, price, tick_volume in ticks:
        start = bucket_start(micros, interval_micros)
        if start != current:
            if current is not None:
                if start < current:
                    raise ValueError("ticks must be in chronological order")
                flush()
            current, open_, high, low, volume, count = start, price, price, price, ZERO, 0
        high = max(high, price)
        low = min(low, price)
        close = price
        if tick_volume is not None:
            volume += tick_volume
        count += 1
    if current is not None:
        flush()
    return candles

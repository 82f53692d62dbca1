"""Prices: ticks as a feed sent them, and candles made from the stored ticks."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from arena.domain.market import Quote
from arena.store.candles import Candle as StoredCandle


@strawberry.type
class PriceTick:
    feed_id: str = strawberry.field(description="The feed the tick came from (see `arena.feed.id`).")
    symbol: str
    price: Decimal
    change_pct: float = strawberry.field(
        description="Change over the last 24 h of feed time (since the feed's start if shorter)."
    )
    volume: Decimal | None
    timestamp: datetime

    @classmethod
    def from_quote(cls, feed_id: str, quote: Quote) -> PriceTick:
        return cls(
            feed_id=feed_id,
            symbol=quote.symbol,
            price=quote.price,
            change_pct=quote.change_pct,
            volume=quote.volume,
            timestamp=quote.timestamp,
        )


@strawberry.type
class Candle:
    symbol: str
    start: datetime
    end: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    ticks: int

    @classmethod
    def from_candle(cls, c: StoredCandle) -> Candle:
        return cls(
            symbol=c.symbol,
            start=c.start,
            end=c.end,
            open=c.open,
            high=c.high,
            low=c.low,
            close=c.close,
            volume=c.volume,
            ticks=c.ticks,
        )

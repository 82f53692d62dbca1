"""Market data: quotes and the batches of quotes that make up one round."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

# Quotes and batches are values: read-only by contract, hashed by value. They are not `frozen`, and
# write out their `__init__`, because a replay makes one of each per bar: compiled (arena.native), a
# dataclass's generated `__init__` stays interpreted Python, ~10x the cost of one written here.


@dataclass(slots=True, unsafe_hash=True)
class Quote:
    symbol: str
    price: Decimal
    timestamp: datetime
    volume: Decimal | None = None
    change_pct: float = 0.0

    def __init__(
        self,
        symbol: str,
        price: Decimal,
        timestamp: datetime,
        volume: Decimal | None = None,
        change_pct: float = 0.0,
    ) -> None:
        self.symbol = symbol
        self.price = price
        self.timestamp = timestamp
        self.volume = volume
        self.change_pct = change_pct


@dataclass(slots=True, unsafe_hash=True)
class QuoteBatch:
    """All quotes that share one feed timestamp: what the agents see in one round."""

    timestamp: datetime
    quotes: tuple[Quote, ...]

    def __init__(self, timestamp: datetime, quotes: tuple[Quote, ...]) -> None:
        self.timestamp = timestamp
        self.quotes = quotes

    def by_symbol(self) -> dict[str, Quote]:
        return {quote.symbol: quote for quote in self.quotes}

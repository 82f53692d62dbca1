"""Market data: quotes and the batches of quotes that make up one round."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Quote:
    symbol: str
    price: Decimal
    timestamp: datetime
    volume: Decimal | None = None
    change_pct: float = 0.0


@dataclass(frozen=True, slots=True)
class QuoteBatch:
    """All quotes that share one feed timestamp: what the agents see in one round."""

    timestamp: datetime
    quotes: tuple[Quote, ...]

    def by_symbol(self) -> dict[str, Quote]:
        return {quote.symbol: quote for quote in self.quotes}

"""The latest quote per symbol of the feed the arena is playing: the one place live prices are read.

It learns them from stored events (it is a sink after the store), so what it shows is never
ahead of the record."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from arena.domain.events import Event, QuotesReceived
from arena.domain.market import Quote, QuoteBatch


class LatestPrices:
    """Updated with every batch played; it forgets everything when the feed changes, so prices of a
    competition's own simulation never mix with the shared market's."""

    __slots__ = ("_quotes", "feed_id")

    def __init__(self) -> None:
        self.feed_id: str | None = None
        self._quotes: dict[str, Quote] = {}

    async def observe(self, events: Sequence[Event]) -> None:
        for event in events:
            if type(event) is QuotesReceived:
                self.update(event.feed_id, event.batch)

    def update(self, feed_id: str, batch: QuoteBatch) -> None:
        if feed_id != self.feed_id:
            self.feed_id = feed_id
            self._quotes = {}
        quotes = self._quotes
        for quote in batch.quotes:
            quotes[quote.symbol] = quote

    def quotes(self, feed_id: str | None = None) -> list[Quote]:
        """The latest quote of each symbol, sorted by symbol (none when `feed_id` is not the feed playing)."""
        if feed_id is not None and feed_id != self.feed_id:
            return []
        return sorted(self._quotes.values(), key=lambda q: q.symbol)

    def prices(self, feed_id: str) -> dict[str, Decimal]:
        return {q.symbol: q.price for q in self.quotes(feed_id)}

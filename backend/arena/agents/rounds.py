"""Reading one round's quotes the same way in every strategy."""

from __future__ import annotations

from collections.abc import Mapping

from arena.domain.market import Quote


def sorted_prices(quotes: Mapping[str, Quote]) -> list[tuple[str, float]]:
    """(symbol, price as float) for each quote with a positive price, in symbol order.

    Symbol order makes an agent's decisions independent of how the engine
    happened to order the mapping.
    """
    return [(symbol, float(quote.price)) for symbol, quote in sorted(quotes.items()) if quote.price > 0]

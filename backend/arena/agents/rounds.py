"""Reading one round's quotes the same way in every strategy."""

from __future__ import annotations

from collections.abc import Mapping

from mypy_extensions import mypyc_attr

from arena.domain.market import Quote

SortedPrices = list[tuple[str, float]]


@mypyc_attr(native_class=False)
class RoundQuotes(dict[str, Quote]):
    """The quotes of one round by symbol, as the engine hands them to every agent.

    Each agent reads them through `sorted_prices`; this mapping works that list out once for the
    round and shares it (agents must not change it, nor the mapping)."""

    __slots__ = ("_sorted",)

    def __init__(self) -> None:
        super().__init__()
        self._sorted: SortedPrices | None = None

    def sorted_prices(self) -> SortedPrices:
        listed = self._sorted
        if listed is None:
            listed = self._sorted = _sorted_prices(self)
        return listed


def sorted_prices(quotes: Mapping[str, Quote]) -> SortedPrices:
    """(symbol, price as float) for each quote with a positive price, in symbol order.

    Symbol order makes an agent's decisions independent of how the engine
    happened to order the mapping.
    """
    if type(quotes) is RoundQuotes:
        return quotes.sorted_prices()
    return _sorted_prices(quotes)


def _sorted_prices(quotes: Mapping[str, Quote]) -> SortedPrices:
    return [(symbol, float(quote.price)) for symbol, quote in sorted(quotes.items()) if quote.price > 0]

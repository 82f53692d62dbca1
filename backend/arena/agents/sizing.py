"""Turning one round's decisions into orders an agent can actually afford.

`OrderPlan` collects sells (by quantity, never more than held) and buys (by
notional); `orders()` then caps the round's total buy notional at the cash on
hand less a small reserve for fees, splitting it pro rata when the wanted buys
exceed it. Sells come first, then buys largest notional first.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Final

from arena.agents.base import AccountView
from arena.domain.orders import OrderIntent, Side
from arena.domain.values import ZERO, quantize_down, to_decimal

CASH_RESERVE: Final = Decimal("0.01")  # share of cash never spent, so fees on top of a notional still fit
MIN_NOTIONAL: Final = Decimal("0.01")  # smaller buys are dropped rather than sent as dust


def share(amount: Decimal, fraction: float) -> Decimal:
    """`amount * fraction`, rounded down to the minor unit."""
    return quantize_down(amount * to_decimal(fraction))


class OrderPlan:
    """One round's orders for one account."""

    __slots__ = ("_account", "_buys", "_sells")

    def __init__(self, account: AccountView) -> None:
        self._account = account
        self._sells: dict[str, Decimal] = {}
        self._buys: dict[str, Decimal] = {}

    def sell(self, symbol: str, quantity: Decimal) -> None:
        """Sell up to `quantity`; clipped to what is held (and not yet being sold)."""
        held = self._account.quantity(symbol)
        already = self._sells.get(symbol, ZERO)
        amount = quantize_down(min(quantity, held - already))
        if amount > ZERO:
            self._sells[symbol] = already + amount

    def sell_all(self, symbol: str) -> None:
        self.sell(symbol, self._account.quantity(symbol))

    def buy(self, symbol: str, notional: Decimal) -> None:
        """Ask to spend `notional` on `symbol`; the total is capped in `orders()`."""
        if notional > ZERO:
            self._buys[symbol] = self._buys.get(symbol, ZERO) + notional

    def spendable(self) -> Decimal:
        return max(ZERO, quantize_down(self._account.cash * (1 - CASH_RESERVE)))

    def orders(self) -> list[OrderIntent]:
        if not self._sells and not self._buys:  # most rounds: no signal, no orders, no Decimal work
            return []
        sells = [OrderIntent(symbol, Side.SELL, quantity=quantity) for symbol, quantity in sorted(self._sells.items())]
        return sells + self._affordable_buys()

    def _affordable_buys(self) -> list[OrderIntent]:
        wanted = sum(self._buys.values(), ZERO)
        if wanted <= ZERO:
            return []
        scale = min(Decimal(1), self.spendable() / wanted)
        sized = ((symbol, quantize_down(notional * scale)) for symbol, notional in self._buys.items())
        kept = [(symbol, notional) for symbol, notional in sized if notional >= MIN_NOTIONAL]
        kept.sort(key=lambda item: (-item[1], item[0]))
        return [OrderIntent(symbol, Side.BUY, notional=notional) for symbol, notional in kept]

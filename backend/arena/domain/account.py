"""A paper account: cash and long positions, with exact average-cost accounting.

A position keeps its total cost basis (quantity x fill price + buy fees) instead
of a rounded average price, so `cash + sum(cost basis) == starting cash + realized
PnL` holds exactly after any sequence of fills.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from arena.domain.values import ZERO, quantize


@dataclass(slots=True)
class Position:
    symbol: str
    quantity: Decimal = ZERO
    cost_basis: Decimal = ZERO

    @property
    def average_price(self) -> Decimal:
        if not self.quantity:
            return ZERO
        return quantize(self.cost_basis / self.quantity)

    def market_value(self, price: Decimal) -> Decimal:
        return self.quantity * price

    def unrealized_pnl(self, price: Decimal) -> Decimal:
        return self.quantity * price - self.cost_basis


@dataclass(slots=True)
class Account:
    starting_cash: Decimal
    cash: Decimal = ZERO
    positions: dict[str, Position] = field(default_factory=dict)
    realized_pnl: Decimal = ZERO
    fees_paid: Decimal = ZERO
    trade_count: int = 0

    @classmethod
    def open(cls, starting_cash: Decimal) -> Account:
        return cls(starting_cash=starting_cash, cash=starting_cash)

    def quantity(self, symbol: str) -> Decimal:
        position = self.positions.get(symbol)
        return position.quantity if position else ZERO

    def buy(self, symbol: str, quantity: Decimal, price: Decimal, fee: Decimal) -> Decimal:
        """Apply a buy; the caller has checked cash. Returns realized PnL (always 0)."""
        cost = quantize(quantity * price) + fee
        position = self.positions.get(symbol)
        if position is None:
            position = self.positions[symbol] = Position(symbol)
        position.quantity += quantity
        position.cost_basis += cost
        self.cash -= cost
        self.fees_paid += fee
        self.trade_count += 1
        return ZERO

    def sell(self, symbol: str, quantity: Decimal, price: Decimal, fee: Decimal) -> Decimal:
        """Apply a sell; the caller has checked the position. Returns realized PnL."""
        position = self.positions[symbol]
        proceeds = quantize(quantity * price) - fee
        if quantity == position.quantity:
            released = position.cost_basis
        else:
            released = quantize(position.cost_basis * quantity / position.quantity)
        position.quantity -= quantity
        position.cost_basis -= released
        if not position.quantity:
            del self.positions[symbol]
        pnl = proceeds - released
        self.cash += proceeds
        self.realized_pnl += pnl
        self.fees_paid += fee
        self.trade_count += 1
        return pnl

    def market_value(self, prices: Mapping[str, Decimal]) -> Decimal:
        # the same additions, in the same order, as sum(..., ZERO), without a generator per call
        total = ZERO
        for p in self.positions.values():
            total += p.quantity * prices[p.symbol]
        return total

    def equity(self, prices: Mapping[str, Decimal]) -> Decimal:
        """Cash plus every position marked to the latest price."""
        return quantize(self.cash + self.market_value(prices))

    def unrealized_pnl(self, prices: Mapping[str, Decimal]) -> Decimal:
        total = ZERO
        for p in self.positions.values():
            total += p.quantity * prices[p.symbol] - p.cost_basis
        return quantize(total)


@dataclass(frozen=True, slots=True)
class MarkedPosition:
    """A position marked at a price (None when the symbol has no price yet)."""

    symbol: str
    quantity: Decimal
    average_price: Decimal
    cost_basis: Decimal
    market_price: Decimal | None

    @property
    def market_value(self) -> Decimal | None:
        return None if self.market_price is None else self.quantity * self.market_price

    @property
    def unrealized_pnl(self) -> Decimal | None:
        return None if self.market_price is None else self.quantity * self.market_price - self.cost_basis


def mark_positions(account: Account, prices: Mapping[str, Decimal]) -> list[MarkedPosition]:
    return [
        MarkedPosition(p.symbol, p.quantity, p.average_price, p.cost_basis, prices.get(p.symbol))
        for p in account.positions.values()
    ]

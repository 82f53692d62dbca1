"""Buy and hold: the baseline every strategy has to beat."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from arena.agents.base import AccountView, Agent
from arena.agents.params import Param, fraction
from arena.agents.sizing import OrderPlan, share
from arena.domain.market import Quote
from arena.domain.orders import OrderIntent


class BuyAndHoldAgent(Agent):
    strategy: ClassVar[str] = "buy_and_hold"
    description: ClassVar[str] = (
        "Baseline: on its first round it splits its cash equally across every symbol and then holds forever."
    )
    parameters: ClassVar[Mapping[str, Param]] = {"invest_fraction": fraction(0.99)}

    def on_round(self, quotes: Mapping[str, Quote], account: AccountView) -> list[OrderIntent]:
        # It never sells, so holding anything means it has already bought; holding
        # nothing means it has not (first round, or its buys never filled).
        if any(quantity > 0 for quantity in account.positions.values()):
            return []
        priced = {symbol for symbol, price in account.prices.items() if price > 0}
        priced.update(symbol for symbol, quote in quotes.items() if quote.price > 0)
        if not priced:
            return []
        plan = OrderPlan(account)
        each = share(account.cash, self.params["invest_fraction"] / len(priced))
        for symbol in sorted(priced):
            plan.buy(symbol, each)
        return plan.orders()

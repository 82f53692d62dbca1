"""The random control group: what luck alone scores, to measure the strategies against."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any, ClassVar

from arena.agents.base import AccountView, Agent
from arena.agents.params import Param, fraction
from arena.agents.sizing import OrderPlan, share
from arena.domain.market import Quote
from arena.domain.orders import OrderIntent
from arena.domain.values import to_decimal


class RandomControlAgent(Agent):
    strategy: ClassVar[str] = "random"
    description: ClassVar[str] = (
        "Seeded random control group, not a strategy: now and then it buys or sells a random amount "
        "of a symbol, showing what pure chance scores."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "trade_probability": fraction(0.05),
        "max_fraction": fraction(0.25),
    }

    def __init__(self, params: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        super().__init__(params, seed)
        self._rng = random.Random(seed)

    def on_round(self, quotes: Mapping[str, Quote], account: AccountView) -> list[OrderIntent]:
        plan = OrderPlan(account)
        for symbol in sorted(quotes):
            # Always three draws per quote, so the random stream depends only on the
            # seed and the quotes seen, never on the account's state.
            trade, side, size = self._rng.random(), self._rng.random(), self._rng.random()
            if trade >= self.params["trade_probability"] or quotes[symbol].price <= 0:
                continue
            portion = self.params["max_fraction"] * (1.0 - size)  # in (0, max_fraction]
            if side < 0.5:
                plan.buy(symbol, share(account.cash, portion))
            else:
                plan.sell(symbol, account.quantity(symbol) * to_decimal(portion))
        return plan.orders()

"""Mean reversion: buy a sharp dip below the rolling mean, sell once the price has come back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any, ClassVar

from arena.agents.base import AccountView, Agent
from arena.agents.indicators import RollingStats
from arena.agents.params import Param, fraction, require, window, zscore
from arena.agents.rounds import sorted_prices
from arena.agents.sizing import OrderPlan, share
from arena.domain.market import Quote
from arena.domain.orders import OrderIntent


class MeanReversionAgent(Agent):
    strategy: ClassVar[str] = "mean_reversion"
    description: ClassVar[str] = (
        "Contrarian: buys a symbol when its price drops sharply below its recent average "
        "(by default more than two standard deviations) and sells once the price is back at the average."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "window": window(20),
        "entry_z": zscore(-2.0),
        "exit_z": zscore(0.0),
        "position_fraction": fraction(0.25),
    }

    @classmethod
    def check_params(cls, params: Mapping[str, Any]) -> None:
        require(params["entry_z"] < params["exit_z"], cls.strategy, "entry_z must be < exit_z")

    def __init__(self, params: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        super().__init__(params, seed)
        self._stats: defaultdict[str, RollingStats] = defaultdict(lambda: RollingStats(self.params["window"]))

    def on_round(self, quotes: Mapping[str, Quote], account: AccountView) -> list[OrderIntent]:
        plan = OrderPlan(account)
        for symbol, price in sorted_prices(quotes):
            stats = self._stats[symbol]
            # z of the new price against the window *before* it, so a spike can't dilute itself
            z = stats.zscore(price) if stats.ready else None
            stats.update(price)
            if z is None:
                continue
            held = account.quantity(symbol)
            if held > 0 and z >= self.params["exit_z"]:
                plan.sell_all(symbol)
            elif held == 0 and z <= self.params["entry_z"]:
                plan.buy(symbol, share(account.equity, self.params["position_fraction"]))
        return plan.orders()

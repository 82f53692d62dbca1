"""Momentum: a fast/slow simple-moving-average crossover per symbol."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from arena.agents.base import AccountView, Agent
from arena.agents.indicators import SimpleMovingAverage
from arena.agents.params import Param, fraction, require, window
from arena.agents.rounds import sorted_prices
from arena.agents.sizing import OrderPlan, share
from arena.domain.market import Quote
from arena.domain.orders import OrderIntent

# |fast - slow| below this share of slow counts as "equal": float noise must not fake a cross.
TOLERANCE: Final = 1e-9


class _Crossover:
    """A fast and a slow SMA, and which side of the slow one the fast one was last on."""

    def __init__(self, fast_window: int, slow_window: int) -> None:
        self.fast = SimpleMovingAverage(fast_window)
        self.slow = SimpleMovingAverage(slow_window)
        self.side = 0  # +1 fast above slow, -1 below, 0 not yet known

    def update(self, price: float) -> int:
        """Feed a price; return +1 on a cross up, -1 when fast is below slow, else 0."""
        self.fast.update(price)
        self.slow.update(price)
        if not self.slow.ready:
            return 0
        gap = self.fast.value - self.slow.value
        if abs(gap) <= TOLERANCE * abs(self.slow.value):
            return 0
        previous, self.side = self.side, (1 if gap > 0 else -1)
        if self.side > 0:
            return 1 if previous < 0 else 0
        return -1


class MomentumAgent(Agent):
    strategy: ClassVar[str] = "momentum"
    description: ClassVar[str] = (
        "Trend follower: buys a symbol when its fast moving average crosses above the slow one "
        "and sells the whole position when the fast average falls back below."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "fast_window": window(10),
        "slow_window": window(30),
        "position_fraction": fraction(0.3),
    }

    @classmethod
    def check_params(cls, params: Mapping[str, Any]) -> None:
        require(params["fast_window"] < params["slow_window"], cls.strategy, "fast_window must be < slow_window")

    def __init__(self, params: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        super().__init__(params, seed)
        self._symbols: defaultdict[str, _Crossover] = defaultdict(
            lambda: _Crossover(self.params["fast_window"], self.params["slow_window"])
        )

    def on_round(self, quotes: Mapping[str, Quote], account: AccountView) -> list[OrderIntent]:
        plan = OrderPlan(account)
        for symbol, price in sorted_prices(quotes):
            signal = self._symbols[symbol].update(price)
            held = account.quantity(symbol)
            if signal < 0 and held > 0:
                plan.sell_all(symbol)
            elif signal > 0 and held == 0:
                plan.buy(symbol, share(account.equity, self.params["position_fraction"]))
        return plan.orders()

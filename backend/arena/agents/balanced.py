"""Balanced: buy dips, but only inside an uptrend, scaling in over a few steps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

from arena.agents.base import AccountView, Agent
from arena.agents.indicators import ExponentialMovingAverage, RollingStats
from arena.agents.params import Param, fraction, require, window, zscore
from arena.agents.rounds import sorted_prices
from arena.agents.sizing import OrderPlan, share
from arena.domain.market import Quote
from arena.domain.orders import OrderIntent
from arena.domain.values import ZERO, quantize_down


class _Signals:
    """Per-symbol trend (fast vs slow EMA), dip z-score and scale-in bookkeeping."""

    def __init__(self, params: Mapping[str, Any]) -> None:
        self.fast = ExponentialMovingAverage(params["fast_span"])
        self.slow = ExponentialMovingAverage(params["slow_span"])
        self.stats = RollingStats(params["window"])
        self.steps = 0  # scale-in steps bought into the current position
        self.armed = True  # a new step needs z to recover above entry_z first

    def update(self, price: float) -> tuple[bool, float] | None:
        """Feed a price; (trend is up, z of price vs the previous window) once warmed up, else None."""
        z = self.stats.zscore(price) if self.stats.ready else None
        self.stats.update(price)
        self.fast.update(price)
        self.slow.update(price)
        if z is None or not self.slow.ready:
            return None
        return self.fast.value > self.slow.value, z


class BalancedAgent(Agent):
    strategy: ClassVar[str] = "balanced"
    description: ClassVar[str] = (
        "Blend of trend and value: buys dips below the recent average only while the trend is up, "
        "scaling in a few small steps, and sells when the trend turns down or the price has rebounded."
    )
    parameters: ClassVar[Mapping[str, Param]] = {
        "fast_span": window(12),
        "slow_span": window(48),
        "window": window(20),
        "entry_z": zscore(-1.0),
        "exit_z": zscore(1.0),
        "position_fraction": fraction(0.15),
        "max_steps": Param(int, 3, 1, 20),
    }

    @classmethod
    def check_params(cls, params: Mapping[str, Any]) -> None:
        require(params["fast_span"] < params["slow_span"], cls.strategy, "fast_span must be < slow_span")
        require(params["entry_z"] < params["exit_z"], cls.strategy, "entry_z must be < exit_z")

    def __init__(self, params: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        super().__init__(params, seed)
        self._symbols: defaultdict[str, _Signals] = defaultdict(lambda: _Signals(self.params))

    def on_round(self, quotes: Mapping[str, Quote], account: AccountView) -> list[OrderIntent]:
        plan = OrderPlan(account)
        for symbol, price in sorted_prices(quotes):
            signals = self._symbols[symbol]
            reading = signals.update(price)
            held = account.quantity(symbol)
            if held == 0:
                signals.steps = 0  # flat (sold, or an earlier buy never filled): start over
            if reading is None:
                continue
            trend_up, z = reading
            if z > self.params["entry_z"]:
                signals.armed = True
            if held > 0 and (not trend_up or z >= self.params["exit_z"]):
                plan.sell_all(symbol)
            elif trend_up and z <= self.params["entry_z"] and signals.armed:
                step = self._step_notional(account, quotes[symbol].price, held, signals.steps)
                if step > ZERO:
                    plan.buy(symbol, step)
                    signals.steps += 1
                    signals.armed = False
        return plan.orders()

    def _step_notional(self, account: AccountView, price: Decimal, held: Decimal, steps: int) -> Decimal:
        """One step of the full position; never past `position_fraction` of equity or `max_steps` steps."""
        if steps >= self.params["max_steps"]:
            return ZERO
        full = share(account.equity, self.params["position_fraction"])
        room = full - held * price
        return max(ZERO, min(quantize_down(full / self.params["max_steps"]), quantize_down(room)))

"""The backtrader baseline of `bench.fastforward`: our four built-in agents as backtrader strategies.

    python -m bench.fastforward --only backtrader --repeat 1   # just this baseline, one run

Each agent trades its own account, as in the arena: backtrader has one broker (one cash
balance, one position per data feed) per `Cerebro`, so four strategies in one cerebro would
share their cash and their position (buy-and-hold's 99 % would starve the others, and
momentum's "sell all" would sell mean reversion's coins): not the work our engine does. So
there is one cerebro per agent, run one after the other in this process over the same bars,
and the time is the sum: the CSV parsed once (counted once, as our run counts its load once)
plus each cerebro from construction to the end of `run()`. Each cerebro preloads the bars
from memory (`MemoryFeed`, no per-row text parsing), runs `runonce` (its indicators vectorized)
without observers (`stdstats=False`): backtrader's fastest configuration.

How the rules match ours (backend/arena/agents/*, engine/matching.py, engine/competition.py):

* price: our replay's quote is a bar's close, and an order fills in the same round at that
  close with 5 bps slippage and a 10 bps fee. Here: cheat-on-close (`set_coc(True)`: the
  order fills at the close of the bar it was placed on, before the next bar's `next()`),
  `set_slippage_perc(0.0005, slip_out=True)` (always the slipped price, not capped at the
  next bar's high/low) and `setcommission(commission=0.001)`.
* sizing (`agents/sizing.py`): buys by notional, a share of equity (broker value), capped at
  99 % of cash, quantity = notional / (slipped price x (1 + fee)) rounded down to 1e-8;
  sells sell the whole position.
* momentum: SMA 10/30 (`bt.ind.SMA`); buys on a cross up (fast above slow after having been
  below), sells whenever fast is below slow; |fast - slow| within 1e-9 of slow is no signal.
* mean reversion: z of the close against the mean and population std of the 20 closes
  *before* it (`bt.ind.SMA` / `bt.ind.StdDev` of `close(-1)`); buys at z <= -2 when flat,
  sells at z >= 0. One difference: backtrader's StdDev is sqrt(mean(x^2) - mean^2), whose
  rounding at BTC prices is ~1e-3, so a flat window is std < 1e-7 of the mean (ours: 1e-12).
* balanced: EMA 12/48 trend (`bt.ind.EMA`) and the same z (window 20); buys a step (a third of
  15 % of equity, never past it, at most 3 steps, re-armed once z is back above -1) at z <= -1
  in an uptrend, sells all when the trend turns down or z >= 1. One difference: backtrader's
  EMA is seeded with the SMA of its first `period` closes, ours with the first close, so the
  two differ over the first few hundred bars. On the January 2022 month that changed no
  trade: the four accounts made the same 5,300 fills as ours and ended at the same equity to
  the cent (`bench.fastforward` prints a note whenever the fill counts differ).
* buy and hold: 99 % of its cash on the first bar, held.
* the engine's losing streak rule: after 3 losing sells in a row (realized PnL net of both
  fees <= 0), the agent's orders are dropped for the next 10 bars; it still sees every bar.
"""

from __future__ import annotations

import csv
import math
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import backtrader as bt

STARTING_CASH = 10_000.0
FEE = 0.001  # --fee-bps 10
SLIPPAGE = 0.0005  # --slippage-bps 5
CASH_RESERVE = 0.01  # sizing.CASH_RESERVE
MIN_NOTIONAL = 0.01  # sizing.MIN_NOTIONAL
QUANTUM = 1e-8  # the smallest quantity
REST_AFTER_LOSSES = 3  # CompetitionConfig.rest_after_losses
REST_ROUNDS = 10  # CompetitionConfig.rest_rounds
CROSS_TOLERANCE = 1e-9  # momentum.TOLERANCE
FLAT_STD = 1e-7  # see the module docstring (mean reversion)

Bar = tuple[float, float, float, float, float, float]  # date2num, open, high, low, close, volume


def load_bars(path: Path) -> list[Bar]:
    """The OHLCV rows of a `timestamp,open,high,low,close,volume` file, dates as backtrader numbers."""
    bars: list[Bar] = []
    date2num = bt.date2num
    with path.open(newline="") as handle:
        rows = csv.reader(handle)
        next(rows)  # the header
        for row in rows:
            stamp, op, high, low, close, volume = row
            bars.append(
                (
                    date2num(datetime.fromisoformat(stamp)),
                    float(op),
                    float(high),
                    float(low),
                    float(close),
                    float(volume),
                )
            )
    return bars


class MemoryFeed(bt.feed.DataBase):  # type: ignore[misc]
    """Bars already parsed (`load_bars`), handed to backtrader one per `_load`."""

    params = (("bars", ()), ("timeframe", bt.TimeFrame.Minutes), ("compression", 1))

    def start(self) -> None:
        super().start()
        self._next_bar = iter(self.p.bars).__next__

    def _load(self) -> bool:
        try:
            stamp, op, high, low, close, volume = self._next_bar()
        except StopIteration:
            return False
        lines = self.lines
        lines.datetime[0] = stamp
        lines.open[0] = op
        lines.high[0] = high
        lines.low[0] = low
        lines.close[0] = close
        lines.volume[0] = volume
        lines.openinterest[0] = 0.0
        return True


class ArenaStrategy(bt.Strategy):  # type: ignore[misc]
    """What the arena does around an agent: sizing by notional, fills counted, losing streaks rested."""

    def __init__(self) -> None:
        self.fills = 0
        self._basis = 0.0  # cost of the position, fees included (as the arena's cost basis)
        self._losses = 0
        self._rest_until = 0  # bars before this one are rested

    def notify_order(self, order: bt.Order) -> None:
        if order.status != order.Completed:
            return
        self.fills += 1
        size, price, fee = order.executed.size, order.executed.price, order.executed.comm
        if order.isbuy():
            self._basis += size * price + fee
            return
        held_before = self.position.size - size  # size < 0 for a sell
        released = self._basis if self.position.size <= 0 else self._basis * -size / held_before
        self._basis -= released
        pnl = -size * price - fee - released
        self._losses = 0 if pnl > 0 else self._losses + 1
        if self._losses >= REST_AFTER_LOSSES:
            # the fill belongs to the previous bar: rest that bar's next 10
            self._rest_until = len(self) + REST_ROUNDS
            self._losses = 0

    @property
    def resting(self) -> bool:
        return len(self) < self._rest_until

    def held(self) -> float:
        return float(self.position.size)

    def equity(self) -> float:
        return float(self.broker.getvalue())

    def buy_notional(self, notional: float) -> None:
        """Spend `notional` (fee included) at this close plus slippage; capped at 99 % of cash."""
        notional = min(notional, self.broker.getcash() * (1 - CASH_RESERVE))
        if self.resting or notional < MIN_NOTIONAL:
            return
        price = self.data.close[0] * (1 + SLIPPAGE)
        size = math.floor(notional / (price * (1 + FEE)) / QUANTUM) * QUANTUM
        if size > 0:
            self.buy(size=size)

    def sell_all(self) -> None:
        if not self.resting and self.position.size > 0:
            self.sell(size=self.position.size)


def _zscore(close: float, mean: float, std: float) -> float | None:
    if std < FLAT_STD * abs(mean):
        return None
    return (close - mean) / std


class Momentum(ArenaStrategy):
    params = (("fast_window", 10), ("slow_window", 30), ("position_fraction", 0.3))

    def __init__(self) -> None:
        super().__init__()
        self.fast = bt.ind.SMA(self.data.close, period=self.p.fast_window)
        self.slow = bt.ind.SMA(self.data.close, period=self.p.slow_window)
        self.side = 0  # +1 fast above slow, -1 below, 0 not yet known

    def next(self) -> None:
        slow = self.slow[0]
        gap = self.fast[0] - slow
        if abs(gap) <= CROSS_TOLERANCE * abs(slow):
            return
        previous, self.side = self.side, (1 if gap > 0 else -1)
        held = self.held()
        if self.side < 0 and held > 0:
            self.sell_all()
        elif self.side > 0 and previous < 0 and held == 0:
            self.buy_notional(self.equity() * self.p.position_fraction)


class MeanReversion(ArenaStrategy):
    params = (("window", 20), ("entry_z", -2.0), ("exit_z", 0.0), ("position_fraction", 0.25))

    def __init__(self) -> None:
        super().__init__()
        before = self.data.close(-1)  # the window before this close, so a spike can't dilute itself
        self.mean = bt.ind.SMA(before, period=self.p.window)
        self.std = bt.ind.StdDev(before, self.mean, period=self.p.window)

    def next(self) -> None:
        z = _zscore(self.data.close[0], self.mean[0], self.std[0])
        if z is None:
            return
        held = self.held()
        if held > 0 and z >= self.p.exit_z:
            self.sell_all()
        elif held == 0 and z <= self.p.entry_z:
            self.buy_notional(self.equity() * self.p.position_fraction)


class Balanced(ArenaStrategy):
    params = (
        ("fast_span", 12),
        ("slow_span", 48),
        ("window", 20),
        ("entry_z", -1.0),
        ("exit_z", 1.0),
        ("position_fraction", 0.15),
        ("max_steps", 3),
    )

    def __init__(self) -> None:
        super().__init__()
        self.fast = bt.ind.EMA(self.data.close, period=self.p.fast_span)
        self.slow = bt.ind.EMA(self.data.close, period=self.p.slow_span)
        before = self.data.close(-1)
        self.mean = bt.ind.SMA(before, period=self.p.window)
        self.std = bt.ind.StdDev(before, self.mean, period=self.p.window)
        self.steps = 0
        self.armed = True

    def next(self) -> None:
        held = self.held()
        if held == 0:
            self.steps = 0
        close = self.data.close[0]
        z = _zscore(close, self.mean[0], self.std[0])
        if z is None:
            return
        trend_up = self.fast[0] > self.slow[0]
        if z > self.p.entry_z:
            self.armed = True
        if held > 0 and (not trend_up or z >= self.p.exit_z):
            self.sell_all()
        elif trend_up and z <= self.p.entry_z and self.armed:
            step = self._step_notional(close, held)
            if step > 0:
                self.buy_notional(step)
                self.steps += 1  # as ours: counted even when resting drops the order
                self.armed = False

    def _step_notional(self, price: float, held: float) -> float:
        if self.steps >= self.p.max_steps:
            return 0.0
        full = self.equity() * self.p.position_fraction
        return max(0.0, min(full / self.p.max_steps, full - held * price))


class BuyAndHold(ArenaStrategy):
    params = (("invest_fraction", 0.99),)

    def next(self) -> None:
        if self.held() == 0:
            self.buy_notional(self.broker.getcash() * self.p.invest_fraction)


STRATEGIES: dict[str, type[ArenaStrategy]] = {
    "momentum": Momentum,
    "mean_reversion": MeanReversion,
    "balanced": Balanced,
    "buy_and_hold": BuyAndHold,
}


def run_agent(bars: Sequence[Bar], strategy: type[ArenaStrategy]) -> tuple[float, ArenaStrategy]:
    """One cerebro, one account, one strategy over `bars`: (seconds, the strategy after the run)."""
    started = time.perf_counter()
    cerebro = bt.Cerebro(preload=True, runonce=True, stdstats=False)
    cerebro.adddata(MemoryFeed(bars=bars))
    cerebro.addstrategy(strategy)
    broker = cerebro.broker
    broker.setcash(STARTING_CASH)
    broker.setcommission(commission=FEE)
    broker.set_slippage_perc(SLIPPAGE, slip_open=True, slip_match=True, slip_out=True)
    broker.set_coc(True)
    (done,) = cerebro.run()
    return time.perf_counter() - started, done


def run(path: Path, agents: Sequence[str], rounds: int | None = None) -> dict[str, Any]:
    """The backtrader baseline over `path` (its first `rounds` bars): a result row like the arena's."""
    started = time.perf_counter()
    bars = load_bars(path)[:rounds]  # the whole file, as our replay feed loads it whatever --rounds says
    load_s = time.perf_counter() - started
    seconds, per_agent = load_s, {}
    for name in agents:
        spent, strategy = run_agent(bars, STRATEGIES[name])
        seconds += spent
        per_agent[name] = {"seconds": spent, "fills": strategy.fills, "equity": round(strategy.equity(), 2)}
    fills = sum(a["fills"] for a in per_agent.values())
    return {
        "bars": len(bars),
        "agents": len(agents),
        "seconds": seconds,
        "bar_steps_per_s": len(bars) * len(agents) / seconds,
        "fills": fills,
        "fills_per_s": fills / seconds,
        "load_s": load_s,
        "per_agent": per_agent,
        "backtrader": bt.__version__,
    }

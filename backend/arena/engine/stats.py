"""Per-agent performance statistics, updated incrementally each round."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Final

FLAT_RELATIVE_STD: Final = 1e-9  # returns whose std is below this share of their mean count as constant
FLAT_RELATIVE_VARIANCE: Final = FLAT_RELATIVE_STD * FLAT_RELATIVE_STD


class PerformanceTracker:
    """Win rate, scars, drawdown, Sharpe and profit factor from closed trades and equity.

    - A closed trade is a sell; it wins when its realized PnL (after fees) is > 0.
    - Scars: the number of losing closed trades.
    - Max drawdown: the largest peak-to-trough fall of marked equity, as a fraction.
    - Sharpe: mean / sample std of per-round equity returns (risk-free 0, not annualized).
    - Profit factor: gross profit / gross loss of closed trades (None until a loss).
    """

    __slots__ = (
        "_last_decimal",
        "_last_equity",
        "_m2",
        "_mean",
        "_n",
        "_peak",
        "_return_of",
        "consecutive_losses",
        "gross_loss",
        "gross_profit",
        "losses",
        "max_drawdown",
        "profit_factor",
        "sharpe",
        "starting_cash",
        "win_rate",
        "wins",
    )

    def __init__(self, starting_cash: Decimal) -> None:
        self.starting_cash = starting_cash
        self.wins = 0
        self.losses = 0
        self.gross_profit = Decimal(0)
        self.gross_loss = Decimal(0)
        self.consecutive_losses = 0
        self._peak = float(starting_cash)
        self.max_drawdown = 0.0
        self._last_equity = float(starting_cash)
        self._last_decimal: Decimal | None = None  # the equity `_last_equity` is the float of
        self._n = 0
        self._mean = 0.0
        self._m2 = 0.0
        self.profit_factor: float | None = None  # gross profit / gross loss, once a trade lost
        # read for every agent every round: kept up to date where they change, not derived per read
        self.win_rate: float | None = None  # winning closed trades / closed trades
        self.sharpe: float | None = None  # mean / sample std of per-round returns, once they vary
        self._return_of: tuple[Decimal, float] | None = None  # (equity, return %) last computed

    def record_closed_trade(self, realized_pnl: Decimal) -> None:
        if realized_pnl > 0:
            self.wins += 1
            self.gross_profit += realized_pnl
            self.consecutive_losses = 0
        else:
            self.losses += 1
            self.gross_loss -= realized_pnl
            self.consecutive_losses += 1
        self.profit_factor = None if self.gross_loss == 0 else float(self.gross_profit / self.gross_loss)
        self.win_rate = self.wins / (self.wins + self.losses)

    def record_equity(self, equity: Decimal) -> None:
        # a flat account's equity is the same Decimal round after round: converted once
        value = self._last_equity if equity is self._last_decimal else float(equity)
        if value > self._peak:
            self._peak = value
        elif self._peak > 0:
            drawdown = (self._peak - value) / self._peak
            if drawdown > self.max_drawdown:
                self.max_drawdown = drawdown
        if self._last_equity > 0:
            # Welford's online mean/variance of per-round returns
            ret = value / self._last_equity - 1.0
            self._n += 1
            delta = ret - self._mean
            self._mean += delta / self._n
            self._m2 += delta * (ret - self._mean)
            if self._n >= 2:
                self.sharpe = self._sharpe()
        self._last_equity = value
        self._last_decimal = equity

    @property
    def closed_trades(self) -> int:
        return self.wins + self.losses

    @property
    def scars(self) -> int:
        return self.losses

    def _sharpe(self) -> float | None:
        variance = self._m2 / (self._n - 1)
        # a constant return leaves float residue (~1e-32) in M2: below this, the returns did not vary
        mean = self._mean
        if variance <= FLAT_RELATIVE_VARIANCE * mean * mean or variance <= 0:
            return None
        return mean / math.sqrt(variance)

    def return_pct(self, equity: Decimal) -> float:
        last = self._return_of
        if last is not None and last[0] == equity:  # equal Decimals give the same quotient
            return last[1]
        value = float((equity - self.starting_cash) / self.starting_cash * 100)
        self._return_of = (equity, value)
        return value

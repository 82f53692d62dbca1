"""PerformanceTracker: win rate, scars, losing streaks, drawdown, Sharpe, profit factor, return %.

Every expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from arena.engine.stats import PerformanceTracker

D = Decimal


def tracker_with_equity(start: str, *equities: str) -> PerformanceTracker:
    tracker = PerformanceTracker(D(start))
    for equity in equities:
        tracker.record_equity(D(equity))
    return tracker


# --- closed trades ---------------------------------------------------------------------------


def test_win_rate_scars_streak_and_profit_factor_from_closed_trades():
    tracker = PerformanceTracker(D(1000))
    # +50 wins; -20 and -30 lose (a streak of 2); +10 wins and ends the streak
    tracker.record_closed_trade(D(50))
    tracker.record_closed_trade(D(-20))
    tracker.record_closed_trade(D(-30))
    assert tracker.consecutive_losses == 2
    tracker.record_closed_trade(D(10))

    assert tracker.closed_trades == 4
    assert tracker.wins == 2 and tracker.losses == 2
    assert tracker.scars == 2  # scars = losing trades
    assert tracker.win_rate == 0.5  # 2 wins / 4 trades
    assert tracker.consecutive_losses == 0  # the +10 win reset the streak
    assert tracker.gross_profit == D(60)  # 50 + 10
    assert tracker.gross_loss == D(50)  # 20 + 30, kept positive
    assert tracker.profit_factor == pytest.approx(1.2)  # 60 / 50


def test_profit_factor_follows_each_new_loss():
    tracker = PerformanceTracker(D(1000))
    tracker.record_closed_trade(D(90))
    tracker.record_closed_trade(D(-30))
    assert tracker.profit_factor == pytest.approx(3.0)  # 90 / 30
    tracker.record_closed_trade(D(-15))
    assert tracker.profit_factor == pytest.approx(2.0)  # 90 / (30 + 15)
    assert tracker.consecutive_losses == 2
    assert tracker.win_rate == pytest.approx(1 / 3)  # 1 win of 3


def test_no_closed_trades_means_no_win_rate_and_no_profit_factor():
    tracker = PerformanceTracker(D(1000))
    assert tracker.win_rate is None
    assert tracker.profit_factor is None
    assert tracker.scars == 0 and tracker.closed_trades == 0


def test_all_winning_trades_leave_profit_factor_none():
    tracker = PerformanceTracker(D(1000))
    for pnl in ("5", "0.01", "120"):
        tracker.record_closed_trade(D(pnl))
    assert tracker.win_rate == 1.0  # 3 / 3
    assert tracker.scars == 0
    assert tracker.gross_profit == D("125.01")  # 5 + 0.01 + 120
    assert tracker.profit_factor is None  # no loss yet: gross loss is 0


def test_a_trade_of_exactly_zero_pnl_is_a_loss():
    # documented: "it wins when its realized PnL (after fees) is > 0", so 0 is a loss (a scar)
    tracker = PerformanceTracker(D(1000))
    tracker.record_closed_trade(D(40))
    tracker.record_closed_trade(D(0))
    assert tracker.wins == 1 and tracker.losses == 1
    assert tracker.scars == 1
    assert tracker.consecutive_losses == 1
    assert tracker.win_rate == 0.5  # 1 win / 2 trades
    # the loss adds nothing to the gross loss, so profit / loss = 40 / 0 is still undefined
    assert tracker.gross_loss == D(0)
    assert tracker.profit_factor is None
    # a real loss afterwards gives the ratio: 40 / 8 = 5
    tracker.record_closed_trade(D(-8))
    assert tracker.consecutive_losses == 2
    assert tracker.profit_factor == pytest.approx(5.0)


# --- equity: drawdown and Sharpe -------------------------------------------------------------


def test_drawdown_and_sharpe_on_a_hand_computed_series():
    # start 100, then 110, 88, 99
    # returns: 110/100-1 = 1/10, 88/110-1 = -1/5, 99/88-1 = 1/8
    # mean = (12 - 24 + 15)/120 / 3 = 1/120
    # deviations: 11/120, -25/120, 14/120; squares sum = (121 + 625 + 196)/14400 = 942/14400
    # sample variance = 942/14400 / 2 = 471/14400, std = sqrt(471)/120
    # sharpe = (1/120) / (sqrt(471)/120) = 1/sqrt(471) ~ 0.046078
    tracker = tracker_with_equity("100", "110", "88", "99")
    assert tracker.sharpe == pytest.approx(1 / math.sqrt(471), rel=1e-12)
    # peak 110, trough 88: (110 - 88)/110 = 0.2; the later 99 is only (110 - 99)/110 = 0.1 down
    assert tracker.max_drawdown == pytest.approx(0.2)


def test_max_drawdown_keeps_the_largest_fall_across_peaks():
    # 100 -> 80: 20 % down from the starting peak; new peak 200 -> 170: 15 % down; 150: 25 % down
    tracker = tracker_with_equity("100", "80", "200", "170")
    assert tracker.max_drawdown == pytest.approx(0.2)  # (100-80)/100 beats (200-170)/200 = 0.15
    tracker.record_equity(D(150))
    assert tracker.max_drawdown == pytest.approx(0.25)  # (200-150)/200


def test_the_starting_cash_is_the_first_peak():
    # the first mark already 10 % under the starting cash is a 10 % drawdown
    tracker = tracker_with_equity("1000", "900")
    assert tracker.max_drawdown == pytest.approx(0.1)  # (1000 - 900)/1000


def test_equity_that_only_rises_has_no_drawdown():
    tracker = tracker_with_equity("100", "101", "105", "105", "130")
    assert tracker.max_drawdown == 0.0


def test_sharpe_is_none_with_fewer_than_two_returns():
    assert PerformanceTracker(D(100)).sharpe is None  # no return yet
    assert tracker_with_equity("100", "150").sharpe is None  # one return (0.5)
    # two returns, 0.5 and 120/150-1 = -0.2: mean 0.15, sample std = 0.7/sqrt(2), sharpe = 0.15*sqrt(2)/0.7
    assert tracker_with_equity("100", "150", "120").sharpe == pytest.approx(0.15 * math.sqrt(2) / 0.7)


def test_a_flat_series_has_no_sharpe():
    tracker = tracker_with_equity("100", "100", "100", "100", "100")
    # every return is 100/100 - 1 = 0: zero variance
    assert tracker.sharpe is None
    assert tracker.max_drawdown == 0.0


def test_a_series_that_only_doubles_has_no_sharpe():
    # 200/100, 400/200, 800/400: every return is exactly 1.0 (exact in binary): zero variance
    assert tracker_with_equity("100", "200", "400", "800").sharpe is None


def test_a_constant_ten_percent_growth_has_no_sharpe():
    # 110/100 = 121/110 = 133.1/121 = 1.1 exactly: three returns of 0.1, zero variance
    tracker = tracker_with_equity("100", "110", "121", "133.1")
    assert tracker.sharpe is None


def test_a_round_after_zero_equity_adds_no_return():
    # 100 -> 50 (return -0.5), -> 0 (return -1.0), -> 10: no return from a zero base
    # returns -0.5 and -1.0: mean -0.75, sample std = 0.5/sqrt(2) -> sharpe = -0.75*sqrt(2)/0.5
    tracker = tracker_with_equity("100", "50", "0", "10")
    assert tracker.sharpe == pytest.approx(-0.75 * math.sqrt(2) / 0.5)
    assert tracker.max_drawdown == pytest.approx(1.0)  # from 100 down to 0


# --- return % ----------------------------------------------------------------------------------


def test_return_pct_against_the_starting_cash():
    tracker = PerformanceTracker(D(10_000))
    assert tracker.return_pct(D(10_000)) == 0.0
    assert tracker.return_pct(D(11_500)) == pytest.approx(15.0)  # (11500 - 10000)/10000 * 100
    assert tracker.return_pct(D("9876.5")) == pytest.approx(-1.235)  # -123.5/10000 * 100
    # asked again after another value, it is not the previous answer
    assert tracker.return_pct(D(11_500)) == pytest.approx(15.0)
    assert tracker.return_pct(D(12_000)) == pytest.approx(20.0)


def test_return_pct_of_equal_decimals_written_differently():
    tracker = PerformanceTracker(D(200))
    assert tracker.return_pct(D("250")) == pytest.approx(25.0)  # 50/200 * 100
    assert tracker.return_pct(D("250.00000000")) == pytest.approx(25.0)
    assert tracker.return_pct(D("100")) == pytest.approx(-50.0)  # -100/200 * 100

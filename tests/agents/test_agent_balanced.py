"""Balanced: buy dips (z <= entry_z) only while the EMA trend is up, scale in, exit on
trend-down or a rebound (z >= exit_z)."""

from __future__ import annotations

from decimal import Decimal

from arena.agents.balanced import BalancedAgent
from arena.domain.orders import Side

from .harness import assert_spent, open_account, run, sides
from .paths import ramp

UPTREND = ramp(100, 132, 80)  # +0.4 per round; z of each new price is about +1.8
# a pullback inside the uptrend: dips (z < -1) with rebounds in between (-1 < z < 1)
CHOPPY_PULLBACK = [132, 125, 130, 124, 130, 123, 130, 122, 130]


def test_buys_a_dip_in_an_uptrend_and_sells_the_rebound() -> None:
    path = [*UPTREND, 125, *ramp(126, 140, 20)]
    trades = run(BalancedAgent(), {"X": path})
    assert sides(trades) == [Side.BUY, Side.SELL]
    assert trades[0].round == 80
    assert trades[1].price > trades[0].price


def test_ignores_the_same_dip_in_a_downtrend() -> None:
    path = [*ramp(140, 100, 80), 90, *ramp(99, 90, 20)]
    assert run(BalancedAgent(), {"X": path}) == []


def test_ignores_an_uptrend_without_a_dip() -> None:
    assert run(BalancedAgent(), {"X": ramp(100, 160, 150)}) == []


def test_sells_when_the_trend_turns_down() -> None:
    path = [*UPTREND, 124, *ramp(124, 90, 60)]
    trades = run(BalancedAgent(), {"X": path})
    assert sides(trades) == [Side.BUY, Side.SELL]
    assert trades[1].round > 81  # the price never rebounded: only the trend exit fired


def test_scales_in_one_step_per_fresh_dip_up_to_max_steps() -> None:
    path = UPTREND + CHOPPY_PULLBACK + ramp(130, 140, 15)
    for max_steps, expected_buys in ((2, 2), (3, 3), (4, 4), (5, 4)):
        account = open_account(10_000)
        trades = run(BalancedAgent({"max_steps": max_steps}), {"X": path}, account)
        buys = [t for t in trades if t.side is Side.BUY]
        assert len(buys) == expected_buys
        assert [t.round for t in buys] == [81, 83, 85, 87][:expected_buys]
        assert sides(trades)[-1] is Side.SELL
        invested = sum((t.quantity * t.price for t in buys), Decimal(0))
        assert invested <= Decimal(10_000) * Decimal("0.15")  # never past position_fraction


def test_a_step_is_position_fraction_over_max_steps() -> None:
    account = open_account(10_000)
    run(BalancedAgent({"position_fraction": 0.3, "max_steps": 2}), {"X": [*UPTREND, 125]}, account)
    assert_spent(account, 10_000, 1_500)

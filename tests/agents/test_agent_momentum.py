"""Momentum: buys after the fast SMA crosses above the slow one, exits when it falls below."""

from __future__ import annotations

from decimal import Decimal

from arena.agents.momentum import MomentumAgent
from arena.domain.orders import Side

from .harness import assert_spent, open_account, run, sides
from .paths import ramp, wiggle

DOWN_UP_DOWN = ramp(100, 80, 40) + ramp(80, 120, 40) + ramp(120, 90, 40)


def test_buys_after_the_up_cross_and_sells_after_the_down_cross() -> None:
    trades = run(MomentumAgent(), {"X": DOWN_UP_DOWN})
    assert sides(trades) == [Side.BUY, Side.SELL]
    buy, sell = trades
    assert 40 < buy.round < 80  # during the rise, after the crossover lag
    assert 80 < sell.round < 120  # during the fall
    assert sell.quantity == buy.quantity  # the whole position
    assert sell.price > buy.price


def test_sizes_a_position_at_position_fraction_of_equity() -> None:
    account = open_account(10_000)
    trades = run(MomentumAgent({"position_fraction": 0.5}), {"X": DOWN_UP_DOWN[:70]}, account)
    assert sides(trades) == [Side.BUY]
    assert_spent(account, 10_000, 5_000)


def test_no_cross_from_below_no_trade() -> None:
    # a market that only rises (or sits flat) never shows fast crossing up through slow
    assert run(MomentumAgent(), {"X": ramp(100, 150, 120)}) == []
    assert run(MomentumAgent(), {"X": [100.0] * 120}) == []


def test_tracks_each_symbol_separately_and_from_its_first_quote() -> None:
    late = [None] * 40 + DOWN_UP_DOWN[:80]
    trades = run(MomentumAgent(), {"A": DOWN_UP_DOWN[:120], "B": late})
    by_symbol = {t.symbol: t for t in trades if t.side is Side.BUY}
    assert set(by_symbol) == {"A", "B"}
    assert by_symbol["B"].round - by_symbol["A"].round == 40


def test_simultaneous_buys_share_the_cash_largest_first() -> None:
    account = open_account(1_000)
    agent = MomentumAgent({"position_fraction": 1.0})
    trades = run(agent, {"A": DOWN_UP_DOWN[:70], "B": DOWN_UP_DOWN[:70]}, account)
    assert sides(trades) == [Side.BUY, Side.BUY]
    assert account.cash >= Decimal(0)
    assert account.cash <= Decimal(1_000) * Decimal("0.011")  # only the fee reserve is left


def test_noise_around_a_level_does_not_fake_crossovers_with_float_drift() -> None:
    trades = run(MomentumAgent(), {"X": wiggle(100.0, 300, amplitude=1e-9)})
    assert trades == []

"""Mean reversion: buys a dip of more than entry_z sigmas, sells when z is back to exit_z."""

from __future__ import annotations

from decimal import Decimal

from arena.agents.mean_reversion import MeanReversionAgent
from arena.domain.orders import Side

from .harness import open_account, run, sides
from .paths import wiggle

CALM = wiggle(100.0, 40)  # last 20: mean about 100.01, std about 0.35


def test_buys_a_two_sigma_dip_and_exits_on_reversion() -> None:
    path = [*CALM, 96.0, *wiggle(96.5, 5), *wiggle(100.5, 10)]
    account = open_account(10_000)
    trades = run(MeanReversionAgent(), {"X": path}, account)
    assert sides(trades) == [Side.BUY, Side.SELL]
    buy, sell = trades
    assert buy.round == 40  # the dip itself
    assert sell.round == 46  # first price back above the rolling mean
    assert sell.quantity == buy.quantity
    assert account.cash > Decimal(10_000)


def test_a_dip_within_two_sigma_is_ignored() -> None:
    path = [*CALM, 99.6, *wiggle(100.0, 20)]  # z about -1.17
    assert run(MeanReversionAgent(), {"X": path}) == []


def test_entry_threshold_is_a_parameter() -> None:
    path = [*CALM, 99.5, *wiggle(100.0, 20)]  # z about -1.45
    assert run(MeanReversionAgent(), {"X": path}) == []
    assert sides(run(MeanReversionAgent({"entry_z": -1.0}), {"X": path}))[:1] == [Side.BUY]


def test_holds_through_the_dip_until_reversion_and_does_not_add() -> None:
    path = [*CALM, 96.0, 95.0, 94.0, 93.0, *wiggle(100.5, 10)]
    trades = run(MeanReversionAgent(), {"X": path})
    assert sides(trades) == [Side.BUY, Side.SELL]


def test_waits_for_a_full_window_after_a_symbol_first_appears() -> None:
    late = [None] * 30 + CALM[:19] + [90.0] + CALM[:5]
    assert run(MeanReversionAgent(), {"X": CALM[:30] + CALM[:25], "Y": late}) == []


def test_a_perfectly_flat_window_gives_no_signal() -> None:
    assert run(MeanReversionAgent(), {"X": [100.0] * 25 + [90.0, 100.0]}) == []

"""The random control group: reproducible per seed and always within its means."""

from __future__ import annotations

import random

import pytest

from arena.agents.random_control import RandomControlAgent
from arena.domain.orders import Fill, Side

from .harness import run
from .paths import random_walk

PATHS = {s: random_walk(seed, 2_000) for seed, s in enumerate(("A", "B", "C"))}


def play(seed: int, params: dict[str, float] | None = None) -> list[Fill]:
    return run(RandomControlAgent(params, seed=seed), PATHS)


def test_same_seed_same_trades_regardless_of_global_random_state() -> None:
    random.seed(1)
    first = play(7)
    random.seed(2)
    assert play(7) == first
    assert len(first) > 50


def test_another_seed_trades_differently() -> None:
    assert play(7) != play(8)


def test_trades_about_trade_probability_of_the_time() -> None:
    decisions = len(play(3, {"trade_probability": 0.05}))
    # 2,000 rounds x 3 symbols x 5% = 300 chances; sells while flat are skipped
    assert 120 <= decisions <= 330


@pytest.mark.parametrize("seed", range(5))
def test_frantic_trading_never_overspends_or_oversells(seed: int) -> None:
    # the harness fails on any buy above cash or sell above the position held
    trades = play(seed, {"trade_probability": 1.0, "max_fraction": 1.0})
    assert {t.side for t in trades} == {Side.BUY, Side.SELL}

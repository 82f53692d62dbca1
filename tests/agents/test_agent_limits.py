"""Every strategy, on many random markets, stays within its cash and positions."""

from __future__ import annotations

import pytest

from arena.agents.registry import PRICE_STRATEGIES, create_agent

from .harness import open_account, run
from .paths import random_walk

# short windows so every strategy trades a lot
BUSY = {
    "momentum": {"fast_window": 2, "slow_window": 5, "position_fraction": 1.0},
    "mean_reversion": {"window": 5, "entry_z": -0.5, "exit_z": 0.5, "position_fraction": 1.0},
    "balanced": {"fast_span": 2, "slow_span": 6, "window": 4, "entry_z": -0.3, "exit_z": 0.3, "position_fraction": 1.0},
    "buy_and_hold": {"invest_fraction": 1.0},
    "random": {"trade_probability": 0.5, "max_fraction": 1.0},
}


@pytest.mark.parametrize("strategy", sorted(PRICE_STRATEGIES))
@pytest.mark.parametrize("seed", range(3))
def test_never_overspends_or_oversells(strategy: str, seed: int) -> None:
    paths = {s: random_walk(seed * 10 + i, 400, vol=0.03) for i, s in enumerate(("A", "B", "C"))}
    paths["D"] = [None if i % 3 else p for i, p in enumerate(random_walk(seed + 99, 400))]  # ticks now and then
    account = open_account(1_000)
    for params in (None, BUSY[strategy]):
        trades = run(create_agent(strategy, params, seed=seed), paths, account)  # the harness asserts limits
        if strategy != "buy_and_hold":
            assert len(trades) > 0
    assert account.cash >= 0

"""Buy and hold: one equal split of invest_fraction of cash on the first round, then nothing."""

from __future__ import annotations

from decimal import Decimal

from arena.agents.base import AccountView
from arena.agents.buy_and_hold import BuyAndHoldAgent
from arena.domain.account import Account, Position
from arena.domain.market import Quote
from arena.domain.orders import Side

from .harness import START, assert_spent, open_account, run
from .paths import random_walk


def test_buys_every_symbol_once_and_never_sells() -> None:
    account = open_account(9_000)
    paths = {s: random_walk(seed, 500, vol=0.05) for seed, s in enumerate(("A", "B", "C"))}
    trades = run(BuyAndHoldAgent(), paths, account)
    assert [t.round for t in trades] == [0, 0, 0]
    assert {t.symbol for t in trades} == {"A", "B", "C"}
    assert all(t.side is Side.BUY for t in trades)
    assert_spent(account, 9_000, 8_910)  # 2,970 per symbol, fees included; 1% of cash is kept


def test_invest_fraction() -> None:
    account = open_account(10_000)
    run(BuyAndHoldAgent({"invest_fraction": 0.5}), {"A": [10.0, 11.0], "B": [20.0, 5.0]}, account)
    assert_spent(account, 10_000, 5_000)


def test_buys_again_only_if_nothing_was_ever_filled() -> None:
    agent = BuyAndHoldAgent()
    quotes = {"A": Quote("A", Decimal(10), START)}
    prices = {"A": Decimal(10)}
    empty = AccountView(Account.open(Decimal(100)), prices)
    assert agent.on_round(quotes, empty)  # first try
    assert agent.on_round(quotes, empty)  # it was not filled: try again
    held = {"A": Position("A", Decimal(9), Decimal(99))}
    holding = AccountView(Account(Decimal(100), Decimal(1), held), prices)
    assert agent.on_round(quotes, holding) == []

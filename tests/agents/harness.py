"""Feed price paths to an agent and execute its orders with the engine's own matching.

Each round the agent sees the quotes that ticked and a view of a real `Account`; its
orders go through `arena.engine.matching.execute` with the arena's default costs (fee
10 bps, slippage 5 bps) unless told otherwise. An order the risk checks refuse fails the
test at once: a strategy must never ask for more than it can afford or holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from arena.agents.base import AccountView, Agent
from arena.domain.account import Account
from arena.domain.market import Quote
from arena.domain.orders import Fill, Side
from arena.domain.values import bps, to_decimal
from arena.engine.matching import Costs, execute
from arena.errors import ArenaError

START = datetime(2024, 1, 1, tzinfo=UTC)
ARENA_COSTS = Costs(fee_rate=bps(10), slippage_rate=bps(5))

Price = float | Decimal | None  # None: the symbol did not tick that round


def open_account(cash: Decimal | int = 10_000) -> Account:
    return Account.open(to_decimal(cash))


def run(
    agent: Agent,
    paths: Mapping[str, Sequence[Price]],
    account: Account | None = None,
    costs: Costs = ARENA_COSTS,
) -> list[Fill]:
    """Play equally long price paths (one per symbol) round by round; return every fill."""
    account = account or open_account()
    lengths = {len(path) for path in paths.values()}
    assert len(lengths) == 1, "paths must be equally long"
    prices: dict[str, Decimal] = {}
    view = AccountView(account, prices)  # as the engine does: one live view for the whole run
    fills: list[Fill] = []
    for round_no in range(lengths.pop()):
        at = START + timedelta(minutes=round_no)
        quotes: dict[str, Quote] = {}
        for symbol, path in paths.items():
            price = path[round_no]
            if price is not None:
                quotes[symbol] = Quote(symbol, to_decimal(price), at)
                prices[symbol] = quotes[symbol].price
        if not quotes:
            continue
        for intent in agent.on_round(quotes, view):
            try:
                done = execute(account, intent, prices, frozenset(prices), costs)
            except ArenaError as refusal:
                raise AssertionError(f"round {round_no}: {intent} refused: {refusal!r}") from None
            fill = Fill(
                "agent",
                "agent",
                intent,
                done.side,
                done.quantity,
                done.price,
                done.fee,
                done.realized_pnl,
                round_no,
                at,
                len(fills) + 1,
            )
            fills.append(fill)
            agent.on_fill(fill)
    return fills


def sides(fills: Sequence[Fill]) -> list[Side]:
    return [fill.side for fill in fills]


def spent(account: Account, starting: Decimal | int) -> Decimal:
    """Cash spent since the account opened with `starting`."""
    return to_decimal(starting) - account.cash


DUST = Decimal("0.0001")  # what a buy by notional leaves unspent: its quantity is rounded down to 1e-8


def assert_spent(account: Account, starting: Decimal | int, expected: Decimal | int) -> None:
    """The account spent `expected` (buys by notional, fees included), less at most a little dust."""
    amount = spent(account, starting)
    assert to_decimal(expected) - DUST <= amount <= to_decimal(expected), f"spent {amount}, expected {expected}"

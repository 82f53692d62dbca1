"""Feed price paths to an agent through a tiny in-test account (no engine).

Orders fill at the round's price; a buy by notional spends exactly the notional
(fee included, as the arena does). Any order an agent could plainly not afford,
or a sell of more than it holds, fails the test right away.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from arena.agents.base import AccountView, Agent
from arena.domain.market import Quote
from arena.domain.orders import Fill, OrderIntent, Side
from arena.domain.values import ZERO, quantize, quantize_down, to_decimal

START = datetime(2024, 1, 1, tzinfo=UTC)
FEE_RATE = Decimal("0.001")

Price = float | Decimal | None  # None: the symbol did not tick that round


@dataclass(frozen=True, slots=True)
class Trade:
    round: int
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal


@dataclass(slots=True)
class SimAccount:
    cash: Decimal
    starting_cash: Decimal
    positions: dict[str, Decimal] = field(default_factory=dict)
    prices: dict[str, Decimal] = field(default_factory=dict)

    @classmethod
    def open(cls, cash: Decimal | int = 10_000) -> SimAccount:
        amount = to_decimal(cash)
        return cls(cash=amount, starting_cash=amount)

    def equity(self) -> Decimal:
        return quantize(self.cash + sum((q * self.prices[s] for s, q in self.positions.items()), ZERO))

    def view(self) -> AccountView:
        return AccountView(
            cash=self.cash,
            equity=self.equity(),
            starting_cash=self.starting_cash,
            positions=dict(self.positions),
            prices=dict(self.prices),
        )

    def execute(self, intent: OrderIntent, round_no: int) -> Trade:
        price = self.prices[intent.symbol]
        assert (intent.quantity is None) != (intent.notional is None), intent
        if intent.side is Side.BUY:
            assert intent.notional is not None, f"buys are by notional: {intent}"
            assert ZERO < intent.notional <= self.cash, f"unaffordable {intent} with cash {self.cash}"
            quantity = quantize_down(intent.notional / (price * (1 + FEE_RATE)))
            assert quantity > ZERO, f"dust order {intent}"
            self.cash -= intent.notional
            self.positions[intent.symbol] = self.positions.get(intent.symbol, ZERO) + quantity
        else:
            assert intent.quantity is not None, f"sells are by quantity: {intent}"
            held = self.positions.get(intent.symbol, ZERO)
            assert ZERO < intent.quantity <= held, f"sells {intent.quantity} but holds {held}"
            quantity = intent.quantity
            self.cash += quantize(quantity * price * (1 - FEE_RATE))
            if quantity == held:
                del self.positions[intent.symbol]
            else:
                self.positions[intent.symbol] = held - quantity
        return Trade(round_no, intent.symbol, intent.side, quantity, price)


def run(agent: Agent, paths: Mapping[str, Sequence[Price]], account: SimAccount | None = None) -> list[Trade]:
    """Play equally long price paths (one per symbol) round by round; return every trade."""
    account = account or SimAccount.open()
    lengths = {len(path) for path in paths.values()}
    assert len(lengths) == 1, "paths must be equally long"
    trades: list[Trade] = []
    for round_no in range(lengths.pop()):
        at = START + timedelta(minutes=round_no)
        quotes: dict[str, Quote] = {}
        for symbol, path in paths.items():
            price = path[round_no]
            if price is not None:
                quotes[symbol] = Quote(symbol, to_decimal(price), at)
                account.prices[symbol] = quotes[symbol].price
        if not quotes:
            continue
        for intent in agent.on_round(quotes, account.view()):
            trade = account.execute(intent, round_no)
            trades.append(trade)
            agent.on_fill(_fill(trade, at))
    return trades


def _fill(trade: Trade, at: datetime) -> Fill:
    return Fill(
        agent_id="agent",
        symbol=trade.symbol,
        side=trade.side,
        quantity=trade.quantity,
        price=trade.price,
        fee=ZERO,
        realized_pnl=ZERO,
        round=trade.round,
        executed_at=at,
        seq=0,
    )


def sides(trades: Sequence[Trade]) -> list[Side]:
    return [trade.side for trade in trades]

"""Hand-built domain events for the store tests (no engine involved)."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from arena.agents.spec import AgentSpec
from arena.domain.account import Account
from arena.domain.events import (
    AgentKind,
    AgentSnapshot,
    AgentStatus,
    CompetitionCreated,
    CompetitionFinished,
    CompetitionStatus,
    EntrantInfo,
    OrderFilled,
    QuotesReceived,
    RoundCompleted,
    StateChanged,
)
from arena.domain.market import Quote, QuoteBatch
from arena.domain.orders import Fill, OrderIntent, Side
from arena.domain.values import quantize, quantize_down
from arena.engine.config import CompetitionConfig
from arena.feeds.spec import FeedMode, FeedSpec, SpeedMode, SpeedSpec
from arena.store.db import Database

OpenDb = Callable[[], Awaitable[Database]]

T0 = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
STRATEGIES = ("momentum", "mean_reversion", "balanced", "buy_and_hold")
PRICES = {"BTC-USD": Decimal("64123.45"), "ETH-USD": Decimal("3456.789"), "SOL-USD": Decimal("142.3051")}
FEE_RATE = Decimal("0.001")


def agent_id(competition_id: str, name: str) -> str:
    return f"{competition_id}/{name}"


def config_dict(name: str) -> dict[str, Any]:
    """A real configuration, serialized as the engine does."""
    config = CompetitionConfig(
        name=name,
        symbols=tuple(PRICES),
        feed=FeedSpec(FeedMode.SIM, seed=7),
        rounds=500,
        speed=SpeedSpec(SpeedMode.MAX),
        agents=tuple(AgentSpec(s, s) for s in STRATEGIES),
        seed=7,
    )
    return config.to_dict()


def created(
    competition_id: str,
    *,
    at: datetime = T0,
    names: tuple[str, ...] = STRATEGIES,
    starting_cash: Decimal = Decimal("10000.00"),
) -> CompetitionCreated:
    entrants = tuple(
        EntrantInfo(
            agent_id=agent_id(competition_id, name),
            name=name,
            strategy=name,
            kind=AgentKind.BUILTIN,
            params={"window": 20 + slot, "threshold": Decimal("0.015"), "symbols": ["BTC-USD"]},
            slot=slot,
        )
        for slot, name in enumerate(names)
    )
    return CompetitionCreated(
        competition_id=competition_id,
        name=f"Arena {competition_id}",
        config=config_dict(f"Arena {competition_id}"),
        feed_id=f"competition:{competition_id}",
        feed_kind="SIMULATED",
        feed_description="GBM simulation, seed 7, 3 symbols",
        entrants=entrants,
        starting_cash=starting_cash,
        at=at,
        leaderboard=tuple(AgentSnapshot.opening(e, starting_cash, e.slot + 1) for e in entrants),
    )


def state(
    competition_id: str, previous: CompetitionStatus, status: CompetitionStatus, *, round_: int = 0, at: datetime = T0
) -> StateChanged:
    return StateChanged(competition_id, previous, status, round_, at, reason=f"{previous.value}->{status.value}")


MARKET = "sim:42"


def quotes(
    competition_id: str | None,
    round_: int | None,
    at: datetime,
    prices: dict[str, Decimal] = PRICES,
    feed_id: str | None = None,
) -> QuotesReceived:
    """A batch of the competition's own feed (or of the market, with no competition)."""
    batch = tuple(
        Quote(symbol, price, at, volume=Decimal("12.5") * (i + 1), change_pct=0.25 * (i - 1))
        for i, (symbol, price) in enumerate(prices.items())
    )
    feed = feed_id or (f"competition:{competition_id}" if competition_id else MARKET)
    return QuotesReceived(feed, competition_id, round_, QuoteBatch(at, batch))


def snapshot(agent: str, rank: int, equity: Decimal, *, trades: int = 3) -> AgentSnapshot:
    name = agent.rsplit("/", 1)[-1]
    return AgentSnapshot(
        agent_id=agent,
        name=name,
        strategy=name,
        kind=AgentKind.BUILTIN,
        status=AgentStatus.ACTIVE if rank % 2 else AgentStatus.RESTING,
        cash=equity - Decimal("1234.56789012"),
        equity=equity,
        realized_pnl=Decimal("12.34000001"),
        unrealized_pnl=Decimal("-3.21"),
        return_pct=float((equity - 10_000) / 100),
        trade_count=trades,
        win_rate=0.5 if trades else None,
        scars=rank - 1,
        max_drawdown=0.0125 * rank,
        sharpe=1.75 if rank == 1 else None,
        profit_factor=2.5 if rank < 3 else None,
        rank=rank,
    )


def round_completed(competition_id: str, round_: int, at: datetime, agents: list[str]) -> RoundCompleted:
    board = tuple(
        snapshot(agent, rank, Decimal("10000") + Decimal(round_ * 10 - rank) + Decimal("0.00000001"))
        for rank, agent in enumerate(agents, start=1)
    )
    return RoundCompleted(competition_id, round_, at, board)


def finished(
    competition_id: str, round_: int, at: datetime, agents: list[str], status: CompetitionStatus
) -> CompetitionFinished:
    board = round_completed(competition_id, round_, at, agents).leaderboard
    return CompetitionFinished(competition_id, status, round_, at, agents[0], board)


@dataclass
class Ledger:
    """Generates valid fills the way an engine would, keeping the accounts it applied them to."""

    competition_id: str
    agents: list[str]
    starting_cash: Decimal = Decimal("10000.00")
    seed: int = 1
    seq: int = 0
    accounts: dict[str, Account] = field(init=False)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.accounts = {a: Account.open(self.starting_cash) for a in self.agents}
        self.rng = random.Random(self.seed)

    def fills(self, count: int, *, round_: int = 1, at: datetime = T0) -> list[OrderFilled]:
        events: list[OrderFilled] = []
        while len(events) < count:
            agent = self.rng.choice(self.agents)
            account = self.accounts[agent]
            symbol = self.rng.choice(list(PRICES))
            price = quantize(PRICES[symbol] * Decimal(self.rng.uniform(0.9, 1.1)))
            held = account.quantity(symbol)
            if held and self.rng.random() < 0.45:
                side = Side.SELL
                quantity = held if self.rng.random() < 0.3 else quantize_down(held * Decimal("0.37"))
                if not quantity:
                    continue
            else:
                side = Side.BUY
                quantity = quantize_down(Decimal(self.rng.uniform(5, 60)) / price)
                if not quantity or quantize(quantity * price) * (1 + FEE_RATE) > account.cash:
                    continue
            fee = quantize(quantity * price * FEE_RATE)
            if side is Side.BUY:
                pnl = account.buy(symbol, quantity, price, fee)
            else:
                pnl = account.sell(symbol, quantity, price, fee)
            self.seq += 1
            client_order_id = f"co-{self.seq}" if self.seq % 3 == 0 else None
            intent = OrderIntent(symbol, side, quantity=quantity, client_order_id=client_order_id)
            fill = Fill(
                agent_id=agent,
                agent_name=agent.rsplit("/", 1)[-1],
                intent=intent,
                side=side,
                quantity=quantity,
                price=price,
                fee=fee,
                realized_pnl=pnl,
                round=round_,
                executed_at=at + timedelta(microseconds=self.seq),
                seq=self.seq,
            )
            events.append(OrderFilled(self.competition_id, fill))
        return events

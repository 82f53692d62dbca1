"""GraphQL object types and their converters from domain values and stored rows.

Money, prices and quantities are the `Decimal` scalar: exact values serialized as
strings (e.g. "10234.50000000"). Ratios (return %, win rate, Sharpe) are floats.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from arena.api.ids import to_global_id
from arena.domain.events import AgentSnapshot, AgentStatus, CompetitionStatus
from arena.domain.market import Quote
from arena.domain.orders import Fill, Side
from arena.feeds.base import FeedInfo, FeedKind
from arena.store.candles import Candle as CandleRow
from arena.store.tables import CompetitionRow, EntrantRow, EquityRow, FillRow, PriceTickRow

CompetitionStatusEnum = strawberry.enum(CompetitionStatus, name="CompetitionStatus")
AgentStatusEnum = strawberry.enum(AgentStatus, name="AgentStatus")
SideEnum = strawberry.enum(Side, name="Side")
FeedKindEnum = strawberry.enum(FeedKind, name="FeedKind")


@strawberry.enum
class AgentKind(Enum):
    BUILTIN = "BUILTIN"
    BOT = "BOT"


@strawberry.interface(description="An object with a global ID (Relay).")
class Node:
    id: strawberry.ID


@strawberry.type
class UserError:
    field: str | None
    message: str
    code: str


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None


@strawberry.type
class Feed:
    kind: FeedKindEnum  # type: ignore[valid-type]
    description: str
    seed: int | None
    sources: list[str]
    symbols: list[str]

    @classmethod
    def from_info(cls, info: FeedInfo) -> Feed:
        return cls(
            kind=info.kind, description=info.description, seed=info.seed,
            sources=list(info.sources), symbols=list(info.symbols),
        )


@strawberry.type
class Position:
    symbol: str
    quantity: Decimal
    average_price: Decimal
    cost_basis: Decimal
    market_price: Decimal | None
    market_value: Decimal | None
    unrealized_pnl: Decimal | None


@strawberry.type
class Agent(Node):
    name: str
    strategy: str
    kind: AgentKind
    status: AgentStatusEnum  # type: ignore[valid-type]
    params: JSON
    competition_id: strawberry.ID
    cash: Decimal
    equity: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    return_pct: float
    trade_count: int
    win_rate: float | None
    scars: int
    max_drawdown: float = strawberry.field(description="Largest peak-to-trough fall of marked equity, a fraction 0..1.")
    sharpe: float | None = strawberry.field(description="Mean / std of per-round equity returns, not annualized.")
    profit_factor: float | None
    rank: int
    positions: list[Position]
    wins: int = strawberry.field(description="Competitions won by an agent of this name, across all competitions.")


@strawberry.type
class LeaderboardEntry:
    rank: int
    agent: Agent
    equity: Decimal
    return_pct: float


@strawberry.type
class Trade(Node):
    agent_id: strawberry.ID
    agent_name: str
    competition_id: strawberry.ID
    symbol: str
    side: SideEnum  # type: ignore[valid-type]
    quantity: Decimal
    price: Decimal
    notional: Decimal
    fee: Decimal
    realized_pnl: Decimal
    round: int
    executed_at: datetime
    client_order_id: str | None

    @classmethod
    def from_row(cls, row: FillRow, agent_name: str) -> Trade:
        return cls(
            id=strawberry.ID(trade_global_id(row.competition_id, row.seq)),
            agent_id=strawberry.ID(row.agent_id),
            agent_name=agent_name,
            competition_id=strawberry.ID(row.competition_id),
            symbol=row.symbol, side=Side(row.side), quantity=row.quantity, price=row.price,
            notional=row.quantity * row.price, fee=row.fee, realized_pnl=row.realized_pnl,
            round=row.round, executed_at=row.executed_at, client_order_id=row.client_order_id,
        )

    @classmethod
    def from_fill(cls, competition_id: str, fill: Fill, agent_name: str) -> Trade:
        return cls(
            id=strawberry.ID(trade_global_id(competition_id, fill.seq)),
            agent_id=strawberry.ID(fill.agent_id), agent_name=agent_name,
            competition_id=strawberry.ID(competition_id), symbol=fill.symbol, side=fill.side,
            quantity=fill.quantity, price=fill.price, notional=fill.quantity * fill.price, fee=fill.fee,
            realized_pnl=fill.realized_pnl, round=fill.round, executed_at=fill.executed_at,
            client_order_id=fill.client_order_id,
        )


def trade_global_id(competition_id: str, seq: int) -> str:
    """A trade is identified by its competition and its sequence number there."""
    return to_global_id("Trade", f"{competition_id}/{seq}")


@strawberry.type
class TradeEdge:
    cursor: str
    node: Trade


@strawberry.type
class TradeConnection:
    edges: list[TradeEdge]
    page_info: PageInfo
    total_count: int


@strawberry.type
class PriceTick:
    symbol: str
    price: Decimal
    change_pct: float = strawberry.field(description="Change over the last 24 h of feed time (since the feed's start if shorter).")
    volume: Decimal | None
    timestamp: datetime

    @classmethod
    def from_quote(cls, quote: Quote) -> PriceTick:
        return cls(symbol=quote.symbol, price=quote.price, change_pct=quote.change_pct,
                   volume=quote.volume, timestamp=quote.timestamp)

    @classmethod
    def from_row(cls, row: PriceTickRow) -> PriceTick:
        return cls(symbol=row.symbol, price=row.price, change_pct=row.change_pct,
                   volume=row.volume, timestamp=row.timestamp)


@strawberry.type
class Candle:
    symbol: str
    start: datetime
    end: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    ticks: int

    @classmethod
    def from_row(cls, c: CandleRow) -> Candle:
        return cls(symbol=c.symbol, start=c.start, end=c.end, open=c.open, high=c.high, low=c.low,
                   close=c.close, volume=c.volume, ticks=c.ticks)


@strawberry.type
class EquityPoint:
    round: int
    at: datetime
    equity: Decimal
    cash: Decimal
    return_pct: float

    @classmethod
    def from_row(cls, row: EquityRow) -> EquityPoint:
        return cls(round=row.round, at=row.at, equity=row.equity, cash=row.cash, return_pct=row.return_pct)


@strawberry.type
class Competition(Node):
    name: str
    status: CompetitionStatusEnum  # type: ignore[valid-type]
    config: JSON
    feed_kind: str
    feed_description: str
    starting_cash: Decimal
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    round: int
    winner: Agent | None
    leaderboard: list[LeaderboardEntry]

    @classmethod
    def from_row(cls, row: CompetitionRow, board: list[LeaderboardEntry]) -> Competition:
        winner = next((e.agent for e in board if e.agent.id == row.winner_agent_id), None)
        return cls(
            id=strawberry.ID(row.id), name=row.name, status=CompetitionStatus(row.status),
            config=json.loads(row.config_json), feed_kind=row.feed_kind, feed_description=row.feed_description,
            starting_cash=row.starting_cash, created_at=row.created_at, started_at=row.started_at,
            ended_at=row.ended_at, round=row.round, winner=winner, leaderboard=board,
        )


@strawberry.type
class CompetitionEdge:
    cursor: str
    node: Competition


@strawberry.type
class CompetitionConnection:
    edges: list[CompetitionEdge]
    page_info: PageInfo


@strawberry.type
class Arena:
    state: CompetitionStatusEnum  # type: ignore[valid-type]
    competition: Competition | None
    round: int
    feed: Feed | None
    symbols: list[str]
    started_at: datetime | None
    strategies: list[Strategy]


@strawberry.type
class Strategy:
    name: str
    description: str
    default_params: JSON


@strawberry.enum
class ArenaEventKind(Enum):
    STATE_CHANGED = "STATE_CHANGED"
    ROUND_COMPLETED = "ROUND_COMPLETED"
    FINISHED = "FINISHED"
    REJECTION = "REJECTION"


@strawberry.type
class ArenaEvent:
    kind: ArenaEventKind
    competition_id: strawberry.ID | None
    round: int
    at: datetime
    status: CompetitionStatusEnum | None  # type: ignore[valid-type]
    previous_status: CompetitionStatusEnum | None  # type: ignore[valid-type]
    message: str
    agent_id: strawberry.ID | None = None
    code: str | None = None
    winner_id: strawberry.ID | None = None


def agent_from_snapshot(
    snap: AgentSnapshot | EquityRow | None,
    entrant: EntrantRow,
    positions: list[Position],
    wins: int,
    starting_cash: Decimal,
) -> Agent:
    """An Agent from its latest standing (live snapshot or stored row); zeros before round 1."""
    common = dict(
        id=strawberry.ID(entrant.id), name=entrant.name, strategy=entrant.strategy,
        kind=AgentKind(entrant.kind), params=json.loads(entrant.params_json),
        competition_id=strawberry.ID(entrant.competition_id), positions=positions, wins=wins,
    )
    if snap is None:
        return Agent(
            **common, status=AgentStatus.ACTIVE, cash=starting_cash, equity=starting_cash,
            realized_pnl=Decimal(0), unrealized_pnl=Decimal(0), return_pct=0.0, trade_count=0,
            win_rate=None, scars=0, max_drawdown=0.0, sharpe=None, profit_factor=None, rank=entrant.slot + 1,
        )
    return Agent(
        **common, status=AgentStatus(snap.status), cash=snap.cash, equity=snap.equity,
        realized_pnl=snap.realized_pnl, unrealized_pnl=snap.unrealized_pnl, return_pct=snap.return_pct,
        trade_count=snap.trade_count, win_rate=snap.win_rate, scars=snap.scars, max_drawdown=snap.max_drawdown,
        sharpe=snap.sharpe, profit_factor=snap.profit_factor, rank=snap.rank,
    )


NodeResult = Annotated[Agent | Trade | Competition, strawberry.union("NodeResult")]

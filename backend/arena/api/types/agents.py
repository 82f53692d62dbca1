"""Agents: an agent's standing (the domain's `AgentSnapshot`, field for field), and on demand its
positions, parameters, wins and equity curve; leaderboard entries."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, cast

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from arena.api.arguments import aware, equity_limit
from arena.api.context import Context
from arena.api.types.common import AgentKindEnum, AgentStatusEnum, Node
from arena.domain.account import MarkedPosition
from arena.domain.events import STANDING_FIELDS, AgentSnapshot
from arena.store import equity
from arena.store.tables import EquityRow

if TYPE_CHECKING:
    from arena.api.types.competitions import Competition
    from arena.api.types.decisions import DecisionConnection
    from arena.api.types.trades import TradeConnection

# what an Agent takes from its snapshot: everything but the id
AGENT_FIELDS = ("name", "strategy", "kind", *STANDING_FIELDS)


@strawberry.type
class Position:
    symbol: str
    quantity: Decimal
    average_price: Decimal
    cost_basis: Decimal
    market_price: Decimal | None
    market_value: Decimal | None
    unrealized_pnl: Decimal | None

    @classmethod
    def from_mark(cls, p: MarkedPosition) -> Position:
        return cls(
            symbol=p.symbol,
            quantity=p.quantity,
            average_price=p.average_price,
            cost_basis=p.cost_basis,
            market_price=p.market_price,
            market_value=p.market_value,
            unrealized_pnl=p.unrealized_pnl,
        )


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


@strawberry.type(description="An agent in a competition: its standing, and on demand its positions and history.")
class Agent(Node):
    competition_id: strawberry.ID = strawberry.field(deprecation_reason="Use `competition { id }`.")
    name: str
    strategy: str
    kind: AgentKindEnum
    status: AgentStatusEnum
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

    @classmethod
    def from_snapshot(cls, competition_id: str, snapshot: AgentSnapshot) -> Agent:
        values = {name: getattr(snapshot, name) for name in AGENT_FIELDS}
        return cls(id=strawberry.ID(snapshot.agent_id), competition_id=strawberry.ID(competition_id), **values)

    @strawberry.field(description="The competition it entered.")
    async def competition(
        self, info: Info[Context, None]
    ) -> Annotated[Competition, strawberry.lazy("arena.api.types.competitions")]:
        from arena.api.types.competitions import competition_by_id

        found = await competition_by_id(info.context, str(self.competition_id))
        assert found is not None  # an agent's competition is recorded before the agent is
        return found

    @strawberry.field(description="Its trades, newest first (a Relay connection like the root `trades`).")
    async def trades(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        symbol: str | None = None,
    ) -> Annotated[TradeConnection, strawberry.lazy("arena.api.types.trades")]:
        from arena.api.pages import newest_trades_page, trade_page

        if after is None and last is None and before is None and symbol is None:  # the common case: batched
            return await newest_trades_page(info.context, str(self.id), first)
        return await trade_page(
            info.context, agent_id=str(self.id), symbol=symbol, first=first, after=after, last=last, before=before
        )

    @strawberry.field(description="A model agent's decisions, newest first (empty for other strategies).")
    async def decisions(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None
    ) -> Annotated[DecisionConnection, strawberry.lazy("arena.api.types.decisions")]:
        from arena.api.pages import decision_page

        return await decision_page(info.context, agent_id=str(self.id), first=first, after=after)

    @strawberry.field(description="The strategy's parameters, defaults included.")
    async def params(self, info: Info[Context, None]) -> JSON:
        found = await info.context.entrant(str(self.id))
        return cast(JSON, found[1].params if found else {})

    @strawberry.field(description="Open positions, marked at the competition's latest prices (its last, once ended).")
    async def positions(self, info: Info[Context, None]) -> list[Position]:
        marked = await info.context.positions(str(self.competition_id))
        return [Position.from_mark(p) for p in marked.get(str(self.id), [])]

    @strawberry.field(description="Competitions won by an agent of this name, across all competitions.")
    async def wins(self, info: Info[Context, None]) -> int:
        return (await info.context.wins_by_name()).get(self.name, 0)

    @strawberry.field(
        description="Equity after each round where it changed, and at both ends of every flat run (the line through "
        "the points is every round's curve), oldest first: the latest `limit` points."
    )
    async def equity_history(
        self,
        info: Info[Context, None],
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
    ) -> list[EquityPoint]:
        return await equity_points(info.context, str(self.id), since, until, limit)


async def equity_points(
    ctx: Context, agent_id: str, since: datetime | None, until: datetime | None, limit: int
) -> list[EquityPoint]:
    """An agent's equity after each round, oldest first: the latest `limit` points."""
    rows = await equity.equity_history(
        ctx.state.db, agent_id, since=aware(since), until=aware(until), limit=equity_limit(limit)
    )
    return [EquityPoint.from_row(r) for r in rows]


@strawberry.type
class LeaderboardEntry:
    rank: int
    agent: Agent
    equity: Decimal
    return_pct: float


def leaderboard_of(
    competition_id: str, standings: list[AgentSnapshot] | tuple[AgentSnapshot, ...]
) -> list[LeaderboardEntry]:
    return [
        LeaderboardEntry(
            rank=s.rank, agent=Agent.from_snapshot(competition_id, s), equity=s.equity, return_pct=s.return_pct
        )
        for s in standings
    ]


async def agent_by_id(ctx: Context, agent_id: str) -> Agent | None:
    """An agent's latest standing (read once per request), or None for an unknown id."""
    found = await ctx.entrant(agent_id)
    if found is None:
        return None
    competition_id = found[0]
    standing = next((s for s in await ctx.standings(competition_id) if s.agent_id == agent_id), None)
    return None if standing is None else Agent.from_snapshot(competition_id, standing)

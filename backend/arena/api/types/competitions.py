"""Competitions: as recorded, with the live state of the running one; their standings on demand."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from arena.api.context import Context
from arena.api.types.agents import Agent, LeaderboardEntry, leaderboard_of
from arena.api.types.common import CompetitionStatusEnum, Node, PageInfo
from arena.domain.events import CompetitionStatus
from arena.engine.competition import Competition as LiveCompetition
from arena.store.tables import CompetitionRow

if TYPE_CHECKING:
    from arena.api.types.trades import TradeConnection


@strawberry.type
class Competition(Node):
    name: str
    status: CompetitionStatusEnum
    config: JSON
    feed_id: str | None = strawberry.field(
        description="The feed it trades (null for ones recorded before feeds had ids)."
    )
    feed_kind: str
    feed_description: str
    starting_cash: Decimal
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    round: int
    winner_agent_id: strawberry.Private[str | None]

    @classmethod
    def from_row(cls, row: CompetitionRow, live: LiveCompetition | None = None) -> Competition:
        """The recorded competition; `live`, when it is the running one, gives its current state."""
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            status=live.status if live else CompetitionStatus(row.status),
            config=json.loads(row.config_json),
            feed_id=row.feed_id,
            feed_kind=row.feed_kind,
            feed_description=row.feed_description,
            starting_cash=row.starting_cash,
            created_at=row.created_at,
            started_at=live.started_at if live else row.started_at,
            ended_at=row.ended_at,
            round=live.round if live else row.round,
            winner_agent_id=row.winner_agent_id,
        )

    @strawberry.field(description="Agents ranked by equity: live for the running competition, else as recorded.")
    async def leaderboard(self, info: Info[Context, None]) -> list[LeaderboardEntry]:
        return leaderboard_of(str(self.id), await info.context.standings(str(self.id)))

    @strawberry.field(description="Its agents in entry order, each with its standing.")
    async def agents(self, info: Info[Context, None]) -> list[Agent]:
        standings = await info.context.standings(str(self.id))
        return [Agent.from_snapshot(str(self.id), s) for s in sorted(standings, key=lambda s: _slot(s.agent_id))]

    @strawberry.field(description="Its trades, newest first (a Relay connection like the root `trades`).")
    async def trades(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        symbol: str | None = None,
        agent_id: strawberry.ID | None = None,
    ) -> Annotated[TradeConnection, strawberry.lazy("arena.api.types.trades")]:
        from arena.api.pages import trade_page

        return await trade_page(
            info.context,
            competition_id=str(self.id),
            agent_id=str(agent_id) if agent_id else None,
            symbol=symbol,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field
    async def winner(self, info: Info[Context, None]) -> Agent | None:
        if self.winner_agent_id is None:
            return None
        standings = await info.context.standings(str(self.id))
        found = next((s for s in standings if s.agent_id == self.winner_agent_id), None)
        return Agent.from_snapshot(str(self.id), found) if found else None


@strawberry.type
class CompetitionEdge:
    cursor: str
    node: Competition


@strawberry.type
class CompetitionConnection:
    edges: list[CompetitionEdge]
    page_info: PageInfo


async def competition_by_id(ctx: Context, competition_id: str) -> Competition | None:
    """A recorded competition (loaded in a batch with the others of the request), live if it runs."""
    row = await ctx.competition_row(competition_id)
    return None if row is None else Competition.from_row(row, ctx.state.reader.live(competition_id))


def _slot(agent_id: str) -> int:
    """Agents are named `<competition id>-<slot>` by the engine: their entry order."""
    tail = agent_id.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else 0

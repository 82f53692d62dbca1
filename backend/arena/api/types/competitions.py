"""Competitions: as recorded, with the live state of the running one; their standings on demand."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from arena.api.context import Context
from arena.api.types.agents import Agent, LeaderboardEntry, leaderboard_of
from arena.api.types.common import CompetitionStatusEnum, Node, PageInfo
from arena.domain.events import CompetitionStatus
from arena.engine.competition import Competition as LiveCompetition
from arena.store.tables import CompetitionRow


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

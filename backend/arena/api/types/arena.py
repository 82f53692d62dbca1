"""The arena as a whole: its state, feed and strategies; and the events of `arenaEvents`."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from arena.api.types.common import CompetitionStatusEnum, FeedKindEnum, FeedStatusEnum
from arena.api.types.competitions import Competition
from arena.app.health import live_error
from arena.domain.events import CompetitionFinished, CompetitionStatus, OrderRejected, RoundCompleted, StateChanged
from arena.feeds.base import Feed as FeedProtocol
from arena.feeds.base import LiveFeed


@strawberry.type(description="The feed the arena plays: what it is, and (live feeds) how it is doing.")
class Feed:
    id: str = strawberry.field(description="Names the feed in stored ticks and in `priceHistory(feedId:)`.")
    kind: FeedKindEnum
    description: str = strawberry.field(description="E.g. `Live · Coinbase (wss://...)` or `Simulated GBM, seed 42`.")
    seed: int | None
    sources: list[str]
    symbols: list[str]
    note: str | None = strawberry.field(description="Why this feed plays, when that is news (e.g. offline).")
    status: FeedStatusEnum | None = strawberry.field(description="A live feed's state; null for recorded feeds.")
    last_quote_age_seconds: float | None = strawberry.field(description="Seconds since a live feed's last quote.")
    error: str | None = strawberry.field(description="A live feed's latest connection problem.")

    @classmethod
    def from_feed(cls, feed: FeedProtocol) -> Feed:
        info = feed.info
        live = feed if isinstance(feed, LiveFeed) else None
        return cls(
            id=info.id,
            kind=info.kind,
            description=info.description,
            seed=info.seed,
            sources=list(info.sources),
            symbols=list(info.symbols),
            note=info.note or None,
            status=live.status if live else None,
            last_quote_age_seconds=live.last_quote_age() if live else None,
            error=live_error(live) if live else None,
        )


@strawberry.type
class Strategy:
    name: str
    description: str
    default_params: JSON


@strawberry.type
class Arena:
    state: CompetitionStatusEnum
    competition: Competition | None
    round: int
    feed: Feed | None
    symbols: list[str]
    started_at: datetime | None = strawberry.field(description="When the current competition first ran.")
    strategies: list[Strategy]


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
    status: CompetitionStatusEnum | None
    previous_status: CompetitionStatusEnum | None
    message: str
    agent_id: strawberry.ID | None = None
    code: str | None = None
    winner_id: strawberry.ID | None = None

    @classmethod
    def from_event(cls, event: StateChanged | RoundCompleted | CompetitionFinished | OrderRejected) -> ArenaEvent:
        competition_id = strawberry.ID(event.competition_id)
        if isinstance(event, StateChanged):
            return cls(
                kind=ArenaEventKind.STATE_CHANGED,
                competition_id=competition_id,
                round=event.round,
                at=event.at,
                status=event.status,
                previous_status=event.previous,
                message=event.reason or f"{event.previous.value} -> {event.status.value}",
            )
        if isinstance(event, RoundCompleted):
            leader = event.leaderboard[0] if event.leaderboard else None
            lead = f": {leader.name} leads at {leader.equity:,.2f}" if leader else ""
            return cls(
                kind=ArenaEventKind.ROUND_COMPLETED,
                competition_id=competition_id,
                round=event.round,
                at=event.at,
                status=CompetitionStatus.RUNNING,
                previous_status=None,
                message=f"round {event.round}{lead}",
            )
        if isinstance(event, CompetitionFinished):
            winner = next((s.name for s in event.leaderboard if s.agent_id == event.winner_id), None)
            return cls(
                kind=ArenaEventKind.FINISHED,
                competition_id=competition_id,
                round=event.round,
                at=event.at,
                status=event.status,
                previous_status=None,
                message=f"{event.status.value} after {event.round} rounds" + (f"; winner {winner}" if winner else ""),
                winner_id=strawberry.ID(event.winner_id) if event.winner_id else None,
            )
        r = event.rejection
        return cls(
            kind=ArenaEventKind.REJECTION,
            competition_id=competition_id,
            round=r.round,
            at=r.at,
            status=None,
            previous_status=None,
            message=f"{r.intent.side.value} {r.intent.symbol} rejected: {r.reason}",
            agent_id=strawberry.ID(r.agent_id),
            code=r.code.value,
        )

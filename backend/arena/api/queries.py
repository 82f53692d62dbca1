"""Query root: live state from the runner, history from the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import strawberry
from strawberry.types import Info

from arena.agents.registry import describe_strategies
from arena.api import alerts as alert_api
from arena.api import bots as bot_api
from arena.api.arguments import aware, page_size
from arena.api.context import Context
from arena.api.ids import MAX_ROW_ID, from_global_id, to_global_id
from arena.api.pages import decision_page, trade_page
from arena.api.permissions import CanRead
from arena.api.types.agents import Agent, EquityPoint, LeaderboardEntry, agent_by_id, equity_points, leaderboard_of
from arena.api.types.arena import Arena, Feed, Strategy
from arena.api.types.bots import Bot
from arena.api.types.common import CompetitionStatusEnum, PageInfo, SideEnum
from arena.api.types.competitions import Competition, CompetitionConnection, CompetitionEdge, competition_by_id
from arena.api.types.decisions import DecisionConnection, DecisionNode
from arena.api.types.prices import Candle, PriceTick
from arena.api.types.trades import Trade, TradeConnection
from arena.errors import ArenaError, ErrorCode
from arena.store import competitions, decisions, fills, prices
from arena.store.bots import list_bots

MAX_CANDLES = 5000
REPLAY_SUFFIXES = {".csv", ".txt"}

NodeResult = Annotated[Agent | Trade | Competition | DecisionNode, strawberry.union("NodeResult")]


@strawberry.type
class Query:
    @strawberry.field(permission_classes=[CanRead], description="The arena right now: state, competition, round, feed.")
    async def arena(self, info: Info[Context, None]) -> Arena:
        runner = info.context.state.runner
        live = runner.competition
        competition = await competition_by_id(info.context, live.id) if live else None
        source = runner.sources.current
        return Arena(
            state=runner.status,
            competition=competition,
            round=live.round if live else 0,
            feed=Feed.from_feed(source.feed) if source else None,
            symbols=list(source.info.symbols) if source else [],
            started_at=live.started_at if live else None,
            strategies=[
                Strategy(name=s["name"], description=s["description"], default_params=s["default_params"])
                for s in describe_strategies()
            ],
        )

    @strawberry.field(permission_classes=[CanRead], description="Competitions, newest first (Relay connection).")
    async def competitions(
        self,
        info: Info[Context, None],
        first: int | None = None,
        after: str | None = None,
        status: CompetitionStatusEnum | None = None,
    ) -> CompetitionConnection:
        limit = page_size(first, "first", 20)
        after_id = from_global_id(after, "competition")[1] if after else None
        rows = await competitions.list_competitions(
            info.context.state.db, status=status, limit=limit + 1, after_id=after_id
        )
        reader = info.context.state.reader
        edges = [
            CompetitionEdge(cursor=to_global_id("competition", r.id), node=Competition.from_row(r, reader.live(r.id)))
            for r in rows[:limit]
        ]
        return CompetitionConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(rows) > limit,
                has_previous_page=after is not None,
                start_cursor=edges[0].cursor if edges else None,
                end_cursor=edges[-1].cursor if edges else None,
            ),
        )

    @strawberry.field(permission_classes=[CanRead])
    async def competition(self, info: Info[Context, None], id: strawberry.ID) -> Competition | None:
        return await competition_by_id(info.context, str(id))

    @strawberry.field(
        permission_classes=[CanRead], description="Agents ranked by equity; defaults to the current competition."
    )
    async def agents(self, info: Info[Context, None], competition_id: strawberry.ID | None = None) -> list[Agent]:
        cid = str(competition_id) if competition_id else await info.context.state.reader.current_competition_id()
        return [Agent.from_snapshot(cid, s) for s in await info.context.standings(cid)] if cid else []

    @strawberry.field(permission_classes=[CanRead])
    async def agent(self, info: Info[Context, None], id: strawberry.ID) -> Agent | None:
        return await agent_by_id(info.context, str(id))

    @strawberry.field(permission_classes=[CanRead], description="The leaderboard; defaults to the current competition.")
    async def leaderboard(
        self, info: Info[Context, None], competition_id: strawberry.ID | None = None
    ) -> list[LeaderboardEntry]:
        cid = str(competition_id) if competition_id else await info.context.state.reader.current_competition_id()
        return leaderboard_of(cid, await info.context.standings(cid)) if cid else []

    @strawberry.field(
        permission_classes=[CanRead],
        description="Model agents' decisions newest first (Relay connection), with their prompts and answers.",
    )
    async def decisions(
        self,
        info: Info[Context, None],
        competition_id: strawberry.ID | None = None,
        agent_id: strawberry.ID | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> DecisionConnection:
        return await decision_page(
            info.context,
            competition_id=str(competition_id) if competition_id else None,
            agent_id=str(agent_id) if agent_id else None,
            first=first,
            after=after,
        )

    @strawberry.field(
        permission_classes=[CanRead],
        description="Trades newest first (Relay connection); cursors are stable under inserts.",
    )
    async def trades(
        self,
        info: Info[Context, None],
        competition_id: strawberry.ID | None = None,
        agent_id: strawberry.ID | None = None,
        symbol: str | None = None,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        side: SideEnum | None = None,
    ) -> TradeConnection:
        return await trade_page(
            info.context,
            competition_id=str(competition_id) if competition_id else None,
            agent_id=str(agent_id) if agent_id else None,
            symbol=symbol,
            side=side,
            first=first,
            after=after,
            last=last,
            before=before,
        )

    @strawberry.field(
        permission_classes=[CanRead],
        description="The latest price per symbol of a feed (default: the feed playing now, see `arena.feed.id`).",
    )
    async def prices(self, info: Info[Context, None], feed_id: str | None = None) -> list[PriceTick]:
        reader = info.context.state.reader
        feed = feed_id or reader.current_feed_id()
        return [PriceTick.from_quote(feed, q) for q in await reader.latest_quotes(feed)] if feed else []

    @strawberry.field(
        permission_classes=[CanRead],
        description="OHLC candles from a feed's stored ticks (default: the feed playing now); interval in seconds.",
    )
    async def price_history(
        self,
        info: Info[Context, None],
        symbol: str,
        since: datetime | None = None,
        until: datetime | None = None,
        interval: int = 60,
        feed_id: str | None = None,
    ) -> list[Candle]:
        if not 1 <= interval <= 31 * 86400:
            raise ArenaError(ErrorCode.INVALID_INPUT, "interval must be between 1 second and 31 days", "interval")
        until = aware(until) or datetime.now(UTC) + timedelta(days=3650)
        since = aware(since) or datetime(1970, 1, 1, tzinfo=UTC)
        if since >= until:
            raise ArenaError(ErrorCode.INVALID_INPUT, "since must be before until", "since")
        feed = feed_id or info.context.state.reader.current_feed_id()
        if feed is None:
            return []
        candles = await prices.price_candles(info.context.state.db, feed, symbol, since, until, interval)
        return [Candle.from_candle(c) for c in candles[-MAX_CANDLES:]]

    @strawberry.field(
        permission_classes=[CanRead],
        description="An agent's equity where it changed, and at both ends of every flat run (the line through the "
        "points is every round's curve), oldest first.",
    )
    async def equity_history(
        self,
        info: Info[Context, None],
        agent_id: strawberry.ID,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 1000,
    ) -> list[EquityPoint]:
        return await equity_points(info.context, str(agent_id), since, until, limit)

    @strawberry.field(
        permission_classes=[CanRead],
        description="Recorded files a competition can replay (from the server's replay folders).",
    )
    def replay_files(self, info: Info[Context, None]) -> list[str]:
        names: set[str] = set()
        for folder in info.context.state.settings.replay_dirs:
            root = Path(folder)
            if root.is_dir():
                names.update(p.name for p in root.iterdir() if p.is_file() and p.suffix.lower() in REPLAY_SUFFIXES)
        return sorted(names)

    me = strawberry.field(resolver=bot_api.me, description="The calling bot's account (bot token).")
    alerts = strawberry.field(resolver=alert_api.alerts, description="Alert rules (operator).")
    alert_deliveries = strawberry.field(
        resolver=alert_api.alert_deliveries,
        description="A rule's deliveries, newest first: attempts, status codes, errors, delivered-at (operator).",
    )
    fired_alerts = strawberry.field(
        resolver=alert_api.fired_alerts,
        description="Alerts that fired, newest first, of one rule or of all (operator).",
    )

    @strawberry.field(permission_classes=[CanRead], description="Registered bots (operator).")
    async def bots(self, info: Info[Context, None]) -> list[Bot]:
        info.context.require_operator()
        return [Bot.from_row(b) for b in await list_bots(info.context.state.db)]

    @strawberry.field(permission_classes=[CanRead], description="Any object by its global ID.")
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> NodeResult | None:
        type_name, raw = from_global_id(str(id))
        if type_name in ("Trade", "Decision"):
            competition_id, _, seq = raw.partition("/")
            if not (seq.isascii() and seq.isdigit()) or int(seq) >= MAX_ROW_ID:
                raise ArenaError(ErrorCode.INVALID_INPUT, f"malformed id {id!r}", "id")
            db = info.context.state.db
            if type_name == "Decision":
                decision = await decisions.get_decision(db, competition_id, int(seq))
                return None if decision is None else DecisionNode.of(decision)
            row = await fills.get_fill(db, competition_id, int(seq))
            return None if row is None else Trade.from_row(row)
        if type_name == "Agent":
            return await agent_by_id(info.context, raw)
        if type_name == "Competition":
            return await competition_by_id(info.context, raw)
        raise ArenaError(ErrorCode.INVALID_INPUT, f"unknown type {type_name!r} in id", "id")

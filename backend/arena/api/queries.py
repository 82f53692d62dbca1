"""Query root: live state from the runner, history from the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import strawberry
from strawberry.types import Info

from arena.agents.registry import describe_strategies
from arena.api import bots as bot_api
from arena.api import readers
from arena.store.bots import list_bots
from arena.api.context import Context
from arena.api.permissions import CanRead
from arena.api.ids import MAX_ROW_ID, decode_cursor, encode_cursor, from_global_id
from arena.api.types import (
    Agent,
    Arena,
    Candle,
    Competition,
    CompetitionConnection,
    CompetitionEdge,
    CompetitionStatusEnum,
    EquityPoint,
    Feed,
    LeaderboardEntry,
    NodeResult,
    PageInfo,
    PriceTick,
    Strategy,
    Trade,
    TradeConnection,
    TradeEdge,
)
from arena.domain.events import CompetitionStatus
from arena.errors import ArenaError, ErrorCode
from arena.store import repository

MAX_PAGE = 500
MAX_CANDLES = 5000


def _page_size(value: int | None, name: str, default: int = 50) -> int:
    if value is None:
        return default
    if not 1 <= value <= MAX_PAGE:
        raise ArenaError(ErrorCode.INVALID_INPUT, f"{name} must be between 1 and {MAX_PAGE}", name)
    return value


@strawberry.type
class Query:
    @strawberry.field(permission_classes=[CanRead], description="The arena right now: state, competition, round, feed.")
    async def arena(self, info: Info[Context, None]) -> Arena:
        runner = info.context.state.runner
        live = runner.competition
        competition = await readers.competition_by_id(info.context, live.id) if live else None
        feed = runner.feed_info
        return Arena(
            state=runner.status,
            competition=competition,
            round=live.round if live else 0,
            feed=Feed.from_info(feed) if feed else None,
            symbols=list(feed.symbols) if feed else [],
            started_at=runner.competition_started_at,
            strategies=[Strategy(name=s["name"], description=s["description"], default_params=s["default_params"])
                        for s in describe_strategies()],
        )

    @strawberry.field(permission_classes=[CanRead], description="Competitions, newest first (Relay connection).")
    async def competitions(
        self, info: Info[Context, None], first: int | None = None, after: str | None = None,
        status: CompetitionStatusEnum | None = None,  # type: ignore[valid-type]
    ) -> CompetitionConnection:
        limit = _page_size(first, "first", 20)
        after_id = from_global_id(after, "competition")[1] if after else None
        rows = await repository.list_competitions(info.context.state.db, status=status, limit=limit + 1, after_id=after_id)
        page = rows[:limit]
        edges = [CompetitionEdge(cursor=_competition_cursor(r.id), node=await readers.competition_from_row(info.context, r))
                 for r in page]
        return CompetitionConnection(
            edges=edges,
            page_info=PageInfo(has_next_page=len(rows) > limit, has_previous_page=after is not None,
                               start_cursor=edges[0].cursor if edges else None,
                               end_cursor=edges[-1].cursor if edges else None),
        )

    @strawberry.field(permission_classes=[CanRead])
    async def competition(self, info: Info[Context, None], id: strawberry.ID) -> Competition | None:
        return await readers.competition_by_id(info.context, str(id))

    @strawberry.field(permission_classes=[CanRead], description="Agents ranked by equity; defaults to the current competition.")
    async def agents(self, info: Info[Context, None], competition_id: strawberry.ID | None = None) -> list[Agent]:
        cid = str(competition_id) if competition_id else await readers.current_competition_id(info.context)
        return await readers.agents_of(info.context, cid) if cid else []

    @strawberry.field(permission_classes=[CanRead])
    async def agent(self, info: Info[Context, None], id: strawberry.ID) -> Agent | None:
        return await readers.agent_by_id(info.context, str(id))

    @strawberry.field(permission_classes=[CanRead], description="The leaderboard; defaults to the current competition.")
    async def leaderboard(self, info: Info[Context, None], competition_id: strawberry.ID | None = None) -> list[LeaderboardEntry]:
        cid = str(competition_id) if competition_id else await readers.current_competition_id(info.context)
        return readers.leaderboard_of(await readers.agents_of(info.context, cid)) if cid else []

    @strawberry.field(permission_classes=[CanRead], description="Trades newest first (Relay connection); cursors are stable under inserts.")
    async def trades(
        self, info: Info[Context, None],
        competition_id: strawberry.ID | None = None, agent_id: strawberry.ID | None = None,
        symbol: str | None = None, first: int | None = None, after: str | None = None,
        last: int | None = None, before: str | None = None,
    ) -> TradeConnection:
        if first is not None and last is not None:
            raise ArenaError(ErrorCode.INVALID_INPUT, "give first or last, not both", "first")
        db = info.context.state.db
        filters = dict(competition_id=str(competition_id) if competition_id else None,
                       agent_id=str(agent_id) if agent_id else None, symbol=symbol)
        if last is not None:
            # the `last` items of the newest-first list are the oldest ones (after `before`): read them
            # oldest first, then show them newest first like every page
            limit = _page_size(last, "last")
            rows = await repository.list_fills(db, **filters, after_id=decode_cursor(before) if before else None,
                                               newest_first=False, limit=limit + 1)
            page, has_previous, has_next = rows[:limit][::-1], len(rows) > limit, before is not None
        else:
            limit = _page_size(first, "first")
            rows = await repository.list_fills(db, **filters, before_id=decode_cursor(after) if after else None, limit=limit + 1)
            page, has_next, has_previous = rows[:limit], len(rows) > limit, after is not None
        names = await _agent_names(info.context, {r.competition_id for r in page})
        edges = [TradeEdge(cursor=encode_cursor(r.id or 0), node=Trade.from_row(r, names.get(r.agent_id, r.agent_id)))
                 for r in page]
        total = await repository.count_fills(db, **filters)
        return TradeConnection(
            edges=edges, total_count=total,
            page_info=PageInfo(has_next_page=has_next, has_previous_page=has_previous,
                               start_cursor=edges[0].cursor if edges else None,
                               end_cursor=edges[-1].cursor if edges else None),
        )

    @strawberry.field(permission_classes=[CanRead], description="The latest price per symbol.")
    async def prices(self, info: Info[Context, None]) -> list[PriceTick]:
        latest = info.context.state.runner.latest
        if latest:
            return [PriceTick.from_quote(q) for q in sorted(latest.values(), key=lambda q: q.symbol)]
        return [PriceTick.from_row(r) for r in await repository.latest_prices(info.context.state.db)]

    @strawberry.field(permission_classes=[CanRead], description="OHLC candles from the stored ticks; interval in seconds (default 60).")
    async def price_history(
        self, info: Info[Context, None], symbol: str, since: datetime | None = None,
        until: datetime | None = None, interval: int = 60,
    ) -> list[Candle]:
        if not 1 <= interval <= 31 * 86400:
            raise ArenaError(ErrorCode.INVALID_INPUT, "interval must be between 1 second and 31 days", "interval")
        until = _aware(until) or datetime.now(UTC) + timedelta(days=3650)
        since = _aware(since) or datetime(1970, 1, 1, tzinfo=UTC)
        if since >= until:
            raise ArenaError(ErrorCode.INVALID_INPUT, "since must be before until", "since")
        candles = await repository.price_candles(info.context.state.db, symbol, since, until, interval)
        return [Candle.from_row(c) for c in candles[-MAX_CANDLES:]]

    @strawberry.field(permission_classes=[CanRead], description="An agent's equity after each round, oldest first.")
    async def equity_history(
        self, info: Info[Context, None], agent_id: strawberry.ID, since: datetime | None = None,
        until: datetime | None = None, limit: int = 1000,
    ) -> list[EquityPoint]:
        if not 1 <= limit <= 10_000:
            raise ArenaError(ErrorCode.INVALID_INPUT, "limit must be between 1 and 10000", "limit")
        rows = await repository.equity_history(info.context.state.db, str(agent_id), since=_aware(since),
                                               until=_aware(until), limit=limit)
        return [EquityPoint.from_row(r) for r in rows]

    @strawberry.field(permission_classes=[CanRead], description="Recorded files a competition can replay (from the server's replay folders).")
    def replay_files(self, info: Info[Context, None]) -> list[str]:
        from pathlib import Path

        names: set[str] = set()
        for folder in info.context.state.settings.replay_dirs:
            root = Path(folder)
            if root.is_dir():
                names.update(p.name for p in root.iterdir() if p.is_file() and p.suffix.lower() in {".csv", ".txt"})
        return sorted(names)

    me = strawberry.field(resolver=bot_api.me, description="The calling bot's account (bot token).")

    @strawberry.field(permission_classes=[CanRead], description="Registered bots (operator).")
    async def bots(self, info: Info[Context, None]) -> list[bot_api.Bot]:
        info.context.require_operator()
        return [bot_api.Bot.from_row(b) for b in await list_bots(info.context.state.db)]

    @strawberry.field(permission_classes=[CanRead], description="Any object by its global ID.")
    async def node(self, info: Info[Context, None], id: strawberry.ID) -> NodeResult | None:
        type_name, raw = from_global_id(str(id))
        if type_name == "Trade":
            competition_id, _, seq = raw.partition("/")
            if not (seq.isascii() and seq.isdigit()) or int(seq) >= MAX_ROW_ID:
                raise ArenaError(ErrorCode.INVALID_INPUT, f"malformed id {id!r}", "id")
            row = await repository.get_fill(info.context.state.db, competition_id, int(seq))
            if row is None:
                return None
            names = await _agent_names(info.context, {row.competition_id})
            return Trade.from_row(row, names.get(row.agent_id, row.agent_id))
        if type_name == "Agent":
            return await readers.agent_by_id(info.context, raw)
        if type_name == "Competition":
            return await readers.competition_by_id(info.context, raw)
        raise ArenaError(ErrorCode.INVALID_INPUT, f"unknown type {type_name!r} in id", "id")


def _competition_cursor(competition_id: str) -> str:
    from arena.api.ids import to_global_id

    return to_global_id("competition", competition_id)


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


async def _agent_names(ctx: Context, competition_ids: set[str]) -> dict[str, str]:
    names: dict[str, str] = {}
    for cid in competition_ids:
        names.update(await readers.agent_names(ctx, cid))
    return names

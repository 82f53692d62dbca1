"""Subscription root: thin async generators over pub/sub topics.

Each subscription first sends the current state where that makes sense
(latest prices, the current leaderboard, the arena's state), then live updates.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
import logging
import time
from collections.abc import AsyncGenerator

import strawberry
from starlette.websockets import WebSocket
from strawberry.types import Info

from arena.api import bots as bot_api
from arena.api import readers
from arena.api.context import Context
from arena.api.publisher import EVENTS, LEADERBOARD, PRICES, TRADES
from arena.api.streams import subscribe
from arena.api.types import ArenaEvent, ArenaEventKind, LeaderboardEntry, PriceTick, Trade
from arena.domain.events import (
    CompetitionFinished,
    CompetitionStatus,
    OrderFilled,
    OrderRejected,
    RoundCompleted,
    StateChanged,
)
from arena.domain.market import QuoteBatch
from arena.errors import ArenaError, ErrorCode

logger = logging.getLogger(__name__)

LEADERBOARD_MIN_INTERVAL = 0.25  # at most 4 updates per second per subscriber


async def _check_access(info: Info[Context, None]) -> None:
    ctx = info.context
    if not ctx.state.settings.public_subscriptions and not ctx.is_operator() and await ctx.bot() is None:
        raise ArenaError(ErrorCode.UNAUTHENTICATED, "this server's subscriptions are private: send a token")


@strawberry.type
class Subscription:
    my_fills = strawberry.subscription(resolver=bot_api.my_fills, description="The calling bot's own fills (bot token).")

    @strawberry.subscription(description="Prices as they tick: the latest per symbol first, then every new quote.")
    async def prices(self, info: Info[Context, None], symbols: list[str] | None = None) -> AsyncGenerator[PriceTick, None]:
        await _check_access(info)
        wanted = set(symbols) if symbols else None
        runner = info.context.state.runner
        async with subscribe(info, PRICES) as subscriber:
            for quote in sorted(runner.latest.values(), key=lambda q: q.symbol):
                if wanted is None or quote.symbol in wanted:
                    yield PriceTick.from_quote(quote)
            async for batch in subscriber:
                assert isinstance(batch, QuoteBatch)
                for quote in batch.quotes:
                    if wanted is None or quote.symbol in wanted:
                        yield PriceTick.from_quote(quote)

    @strawberry.subscription(description="Trades as they are filled (after they are stored).")
    async def trades(
        self, info: Info[Context, None], agent_id: strawberry.ID | None = None, symbol: str | None = None,
    ) -> AsyncGenerator[Trade, None]:
        await _check_access(info)
        runner = info.context.state.runner
        async with subscribe(info, TRADES) as subscriber:
            async for event in subscriber:
                assert isinstance(event, OrderFilled)
                fill = event.fill
                if agent_id is not None and fill.agent_id != str(agent_id):
                    continue
                if symbol is not None and fill.symbol != symbol:
                    continue
                live = runner.competition
                entrant = live.entrants.get(fill.agent_id) if live and live.id == event.competition_id else None
                yield Trade.from_fill(event.competition_id, fill, entrant.info.name if entrant else fill.agent_id)

    @strawberry.subscription(
        description="The current competition's leaderboard: now, then on change, at most 4 per second."
    )
    async def leaderboard(self, info: Info[Context, None]) -> AsyncGenerator[list[LeaderboardEntry], None]:
        await _check_access(info)
        ctx = info.context
        async with subscribe(info, LEADERBOARD) as subscriber:
            cid = await readers.current_competition_id(ctx)
            yield readers.leaderboard_of(await readers.agents_of(ctx, cid)) if cid else []
            last_sent = time.monotonic()
            while True:
                event = await subscriber.__anext__()
                wait = LEADERBOARD_MIN_INTERVAL - (time.monotonic() - last_sent)
                if wait > 0:
                    await asyncio.sleep(wait)
                subscriber.keep_latest()  # coalesce: whatever came meanwhile is covered by the fresh read
                cid = getattr(event, "competition_id", None) or await readers.current_competition_id(ctx)
                yield readers.leaderboard_of(await readers.agents_of(ctx, cid)) if cid else []
                last_sent = time.monotonic()

    @strawberry.subscription(
        description="State changes, completed rounds, finishes and rejections; the current state first."
    )
    async def arena_events(self, info: Info[Context, None]) -> AsyncGenerator[ArenaEvent, None]:
        await _check_access(info)
        runner = info.context.state.runner
        async with subscribe(info, EVENTS) as subscriber:
            live = runner.competition
            yield ArenaEvent(
                kind=ArenaEventKind.STATE_CHANGED, competition_id=strawberry.ID(live.id) if live else None,
                round=live.round if live else 0, at=runner.competition_started_at or datetime.now(UTC),
                status=runner.status, previous_status=None, message="current state",
            )
            async for event in subscriber:
                yield _arena_event(event)


def _arena_event(event: object) -> ArenaEvent:
    if isinstance(event, StateChanged):
        return ArenaEvent(kind=ArenaEventKind.STATE_CHANGED, competition_id=strawberry.ID(event.competition_id),
                          round=event.round, at=event.at, status=event.status, previous_status=event.previous,
                          message=event.reason or f"{event.previous.value} -> {event.status.value}")
    if isinstance(event, RoundCompleted):
        leader = event.leaderboard[0] if event.leaderboard else None
        return ArenaEvent(kind=ArenaEventKind.ROUND_COMPLETED, competition_id=strawberry.ID(event.competition_id),
                          round=event.round, at=event.at, status=CompetitionStatus.RUNNING, previous_status=None,
                          message=f"round {event.round}" + (f": {leader.name} leads at {leader.equity:,.2f}" if leader else ""))
    if isinstance(event, CompetitionFinished):
        winner = next((s.name for s in event.leaderboard if s.agent_id == event.winner_id), None)
        return ArenaEvent(kind=ArenaEventKind.FINISHED, competition_id=strawberry.ID(event.competition_id),
                          round=event.round, at=event.at, status=event.status, previous_status=None,
                          message=f"{event.status.value} after {event.round} rounds" + (f"; winner {winner}" if winner else ""),
                          winner_id=strawberry.ID(event.winner_id) if event.winner_id else None)
    assert isinstance(event, OrderRejected)
    r = event.rejection
    return ArenaEvent(kind=ArenaEventKind.REJECTION, competition_id=strawberry.ID(event.competition_id),
                      round=r.round, at=r.at, status=None, previous_status=None,
                      message=f"{r.intent.side.value} {r.intent.symbol} rejected: {r.reason}",
                      agent_id=strawberry.ID(r.agent_id), code=r.code.value)

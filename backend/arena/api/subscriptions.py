"""Subscription root: thin async generators over pub/sub topics.

Each subscription first sends the current state where that makes sense (latest prices, the
current leaderboard, the arena's state), then live updates converted from the recorded events
themselves: no subscriber reads the database per event. Subscribers of the same document and
variables share one run of these generators (`arena.api.fanout`); `open_feed` says which part
each run plays, and the access check is every member's own.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator
from datetime import UTC, datetime

import strawberry
from strawberry.types import Info

from arena.api import alerts as alert_api
from arena.api import bots as bot_api
from arena.api.context import Context
from arena.api.fanout.phase import Live
from arena.api.streams import open_feed
from arena.api.types.agents import LeaderboardEntry, leaderboard_of
from arena.api.types.arena import ArenaEvent, ArenaEventKind
from arena.api.types.decisions import DecisionNode
from arena.api.types.prices import PriceTick
from arena.api.types.trades import Trade
from arena.broker.topics import DECISIONS, EVENTS, LEADERBOARD, PRICES, TRADES
from arena.domain.events import (
    CompetitionCreated,
    CompetitionFinished,
    DecisionRecorded,
    OrderFilled,
    QuotesReceived,
    RoundCompleted,
)
from arena.errors import ArenaError, ErrorCode

LEADERBOARD_MIN_INTERVAL = 0.25  # at most 4 updates per second per subscriber

StandingsEvent = CompetitionCreated | RoundCompleted | CompetitionFinished


async def _check_access(info: Info[Context, None]) -> None:
    ctx = info.context
    if isinstance(ctx.phase, Live):
        return  # a group's shared run: every member was checked as it joined
    if not ctx.state.settings.public_subscriptions and not ctx.is_operator() and await ctx.bot() is None:
        raise ArenaError(ErrorCode.UNAUTHENTICATED, "this server's subscriptions are private: send a token")


@strawberry.type
class Subscription:
    my_fills = strawberry.subscription(
        resolver=bot_api.my_fills, description="The calling bot's own fills (bot token)."
    )
    alerts = strawberry.subscription(
        resolver=alert_api.alert_events, description="Alerts as they fire, once stored (operator)."
    )

    @strawberry.subscription(
        description="Prices as they tick, each with its feed: the latest per symbol first, then every new quote. "
        "`feedId` keeps to one feed; by default it follows the feed playing (a competition's own feed while it runs)."
    )
    async def prices(
        self, info: Info[Context, None], symbols: list[str] | None = None, feed_id: str | None = None
    ) -> AsyncGenerator[PriceTick, None]:
        await _check_access(info)
        wanted = set(symbols) if symbols else None
        latest = info.context.state.runner.prices
        async with open_feed(info, PRICES) as feed:
            if feed.snapshot and latest.feed_id is not None and feed_id in (None, latest.feed_id):
                for quote in latest.quotes():
                    if wanted is None or quote.symbol in wanted:
                        yield PriceTick.from_quote(latest.feed_id, quote)
            async for event in feed.events:
                assert isinstance(event, QuotesReceived)
                if feed_id is not None and event.feed_id != feed_id:
                    continue
                for quote in event.batch.quotes:
                    if wanted is None or quote.symbol in wanted:
                        yield PriceTick.from_quote(event.feed_id, quote)

    @strawberry.subscription(description="Trades as they are filled (after they are stored).")
    async def trades(
        self,
        info: Info[Context, None],
        agent_id: strawberry.ID | None = None,
        symbol: str | None = None,
    ) -> AsyncGenerator[Trade, None]:
        await _check_access(info)
        async with open_feed(info, TRADES) as feed:
            async for event in feed.events:
                assert isinstance(event, OrderFilled)
                fill = event.fill
                if agent_id is not None and fill.agent_id != str(agent_id):
                    continue
                if symbol is not None and fill.symbol != symbol:
                    continue
                yield Trade.from_fill(event.competition_id, fill)

    @strawberry.subscription(description="Model agents' decisions as they are recorded (executed or not).")
    async def decisions(
        self,
        info: Info[Context, None],
        agent_id: strawberry.ID | None = None,
        competition_id: strawberry.ID | None = None,
    ) -> AsyncGenerator[DecisionNode, None]:
        await _check_access(info)
        async with open_feed(info, DECISIONS) as feed:
            async for event in feed.events:
                assert isinstance(event, DecisionRecorded)
                decision = event.decision
                if agent_id is not None and decision.agent_id != str(agent_id):
                    continue
                if competition_id is not None and decision.competition_id != str(competition_id):
                    continue
                yield DecisionNode.of(decision)

    @strawberry.subscription(
        description="The current competition's leaderboard: now, then on change, at most 4 per second."
    )
    async def leaderboard(self, info: Info[Context, None]) -> AsyncGenerator[list[LeaderboardEntry], None]:
        await _check_access(info)
        ctx = info.context
        async with open_feed(info, LEADERBOARD) as feed:
            if feed.snapshot:
                published = ctx.state.pubsub.retained(LEADERBOARD)  # the standings as of the next event
                if isinstance(published, StandingsEvent):
                    yield leaderboard_of(published.competition_id, published.leaderboard)
                else:  # nothing played since the server started: as recorded
                    competition_id = await ctx.state.reader.current_competition_id()
                    standings = await ctx.state.reader.standings(competition_id) if competition_id else []
                    yield leaderboard_of(competition_id, standings) if competition_id else []
            last_sent = time.monotonic()
            async for event in feed.events:
                wait = LEADERBOARD_MIN_INTERVAL - (time.monotonic() - last_sent)
                if wait > 0:
                    feed.events.before_wait()  # a group sends the last standings before it sleeps
                    await asyncio.sleep(wait)
                    latest = feed.events.latest()  # coalesce: only the newest standings matter
                    event = latest if latest is not None else event
                assert isinstance(event, StandingsEvent)
                yield leaderboard_of(event.competition_id, event.leaderboard)
                last_sent = time.monotonic()

    @strawberry.subscription(
        description="State changes, completed rounds, finishes and rejections; the current state first."
    )
    async def arena_events(self, info: Info[Context, None]) -> AsyncGenerator[ArenaEvent, None]:
        await _check_access(info)
        runner = info.context.state.runner
        async with open_feed(info, EVENTS) as feed:
            if feed.snapshot:
                live = runner.competition
                yield ArenaEvent(
                    kind=ArenaEventKind.STATE_CHANGED,
                    competition_id=strawberry.ID(live.id) if live else None,
                    round=live.round if live else 0,
                    at=(live.started_at if live else None) or datetime.now(UTC),
                    status=runner.status,
                    previous_status=None,
                    message="current state",
                )
            async for event in feed.events:
                yield ArenaEvent.from_event(event)

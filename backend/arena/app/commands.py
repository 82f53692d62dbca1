"""What the engine does for a command, wherever it came from: a mutation in this process, or one an
API replica forwarded through the broker (`arena.cluster.commands`). Each returns the competition it
acted on, or raises the ArenaError to answer with."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from arena.api.context import AppState
from arena.app.resume import resume_interrupted
from arena.domain.events import CompetitionStatus
from arena.domain.orders import Fill, OrderIntent
from arena.engine.competition import Competition
from arena.engine.config import CompetitionConfig
from arena.errors import ArenaError, ErrorCode

ORDER_TIMEOUT_S = 30.0


async def start(state: AppState, config: CompetitionConfig, *, market_symbols: bool) -> Competition:
    """`market_symbols`: no symbols were asked for, so a competition on the shared feed trades all of the market's."""
    runner = state.runner
    if config.feed is None and market_symbols and runner.feed_info:
        config = replace(config, symbols=runner.feed_info.symbols)
    return await runner.start(config)


async def pause(state: AppState) -> Competition:
    return await state.runner.pause()


async def stop(state: AppState) -> Competition:
    return await state.runner.stop()


async def resume(state: AppState, competition_id: str | None) -> Competition:
    """The paused competition, or one a crash left INTERRUPTED (the latest, or `competition_id`)."""
    runner = state.runner
    live = runner.competition
    if competition_id is None and live is not None and live.status is CompetitionStatus.PAUSED:
        return await runner.resume()
    try:
        return await resume_interrupted(runner, state.db, competition_id)
    except ArenaError as error:
        if live is not None and live.status is CompetitionStatus.RUNNING and error.code is ErrorCode.NO_COMPETITION:
            raise ArenaError(ErrorCode.ALREADY_RUNNING, "the competition is already running") from None
        raise


def _still_queued(store_refuses: bool, intent: OrderIntent) -> ArenaError:
    """The order waits for its round (or for the store): it is not lost, and not answered yet."""
    again = " send it again with the same clientOrderId for its outcome" if intent.client_order_id else ""
    if store_refuses:
        return ArenaError(
            ErrorCode.STORE_UNAVAILABLE, f"the order is queued, but the database is not taking writes;{again}"
        )
    return ArenaError(ErrorCode.ORDER_PENDING, f"the order is still queued for its round;{again}")


async def place_order(state: AppState, bot_id: str, intent: OrderIntent) -> tuple[str, Fill]:
    """A bot's market order, executed at the start of the next round: (competition id, its fill).
    The rate limit is the engine's, so it holds however many replicas the orders come through."""
    runner = state.runner
    live = runner.competition
    entrant = live.entrant_for_bot(bot_id) if live else None
    if live is None or entrant is None:
        raise ArenaError(ErrorCode.NOT_RUNNING, "this bot is not in a running competition")
    if live.status is not CompetitionStatus.RUNNING:
        code = ErrorCode.PAUSED if live.status is CompetitionStatus.PAUSED else ErrorCode.NOT_RUNNING
        raise ArenaError(code, f"competition is {live.status.value}")
    if intent.symbol not in live.symbols:
        raise ArenaError(ErrorCode.UNKNOWN_SYMBOL, f"unknown symbol {intent.symbol!r}", "symbol")
    if not state.order_limiter.allow(bot_id):
        raise ArenaError(ErrorCode.RATE_LIMITED, f"at most {state.settings.bot_orders_per_second:g} orders per second")
    future = await runner.submit_order(entrant.info.agent_id, intent)
    try:
        async with asyncio.timeout(ORDER_TIMEOUT_S):
            outcome = await asyncio.shield(future)
    except TimeoutError:
        raise _still_queued(runner.outbox.failure is not None, intent) from None
    if isinstance(outcome, Fill):
        return live.id, outcome
    raise ArenaError(outcome.code, outcome.reason, outcome.field)

"""External bots over GraphQL: registration (operator), orders and account (bot token)."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from arena.agents.spec import AgentSpec
from arena.api.context import Context
from arena.api.streams import open_feed
from arena.api.types.agents import Agent
from arena.api.types.bots import Bot, Me, PlaceOrderInput, PlaceOrderPayload, RegisterBotPayload, RevokeBotPayload
from arena.api.types.common import UserError
from arena.api.types.trades import Trade
from arena.app import commands
from arena.broker.topics import TRADES
from arena.cluster import codec
from arena.cluster.commands import ORDER_TIMEOUT_S
from arena.domain.events import OrderFilled
from arena.domain.orders import OrderIntent, Side
from arena.domain.values import InvalidNumber, to_decimal
from arena.errors import ArenaError, ErrorCode
from arena.store import bots as bot_store
from arena.store import fills


async def register_bot(info: Info[Context, None], name: str) -> RegisterBotPayload:
    info.context.require_operator()
    try:
        row, token = await bot_store.register_bot(info.context.state.db, name)
    except ArenaError as error:
        return RegisterBotPayload(bot=None, token=None, user_errors=[UserError.of(error)])
    return RegisterBotPayload(bot=Bot.from_row(row), token=token, user_errors=[])


async def revoke_bot(info: Info[Context, None], id: strawberry.ID) -> RevokeBotPayload:
    info.context.require_operator()
    try:
        row = await bot_store.revoke_bot(info.context.state.db, str(id))
    except ArenaError as error:
        return RevokeBotPayload(bot=None, user_errors=[UserError.of(error)])
    return RevokeBotPayload(bot=Bot.from_row(row), user_errors=[])


def _intent(data: PlaceOrderInput) -> OrderIntent:
    if (data.quantity is None) == (data.notional is None):
        raise ArenaError(ErrorCode.INVALID_QUANTITY, "give exactly one of quantity or notional", "quantity")
    try:
        quantity = None if data.quantity is None else to_decimal(data.quantity)
        notional = None if data.notional is None else to_decimal(data.notional)
    except InvalidNumber as exc:
        raise ArenaError(ErrorCode.INVALID_QUANTITY, str(exc), "quantity") from None
    if (quantity or notional or 0) <= 0:
        raise ArenaError(ErrorCode.INVALID_QUANTITY, "quantity and notional must be positive", "quantity")
    if data.client_order_id is not None and not 1 <= len(data.client_order_id) <= 64:
        raise ArenaError(ErrorCode.INVALID_INPUT, "clientOrderId must be 1-64 characters", "clientOrderId")
    return OrderIntent(
        data.symbol, Side(data.side), quantity=quantity, notional=notional, client_order_id=data.client_order_id
    )


async def place_order(info: Info[Context, None], input: PlaceOrderInput) -> PlaceOrderPayload:
    """Executes at the start of the next round, at that round's price (deterministic); on an API
    replica, on the engine, which answers once the fill is stored."""
    bot = await info.context.require_bot()
    state = info.context.state
    try:
        intent = _intent(input)
        if state.engine_client is None:
            competition_id, fill = await commands.place_order(state, bot.id, intent)
        else:
            args = {"bot_id": bot.id, "intent": codec.encode(intent)}
            reply = await state.engine_client.call("order", args, timeout=ORDER_TIMEOUT_S)
            if reply["errors"]:
                errors = [UserError(field=e["field"], message=e["message"], code=e["code"]) for e in reply["errors"]]
                return PlaceOrderPayload(trade=None, user_errors=errors)
            competition_id, fill = reply["competition_id"], codec.decode(reply["fill"])
    except ArenaError as error:
        return PlaceOrderPayload(trade=None, user_errors=[UserError.of(error)])
    return PlaceOrderPayload(trade=Trade.from_fill(competition_id, fill), user_errors=[])


async def me(info: Info[Context, None]) -> Me:
    bot = await info.context.require_bot()
    live = info.context.state.runner.competition
    entrant = live.entrant_for_bot(bot.id) if live else None
    if live is None or entrant is None:
        return Me(bot=Bot.from_row(bot), agent=None, trades=[])
    agent_id = entrant.info.agent_id
    standing = next(s for s in live.leaderboard() if s.agent_id == agent_id)
    rows = await fills.list_fills(info.context.state.db, agent_id=agent_id, limit=50)
    return Me(
        bot=Bot.from_row(bot), agent=Agent.from_snapshot(live.id, standing), trades=[Trade.from_row(r) for r in rows]
    )


async def my_fills(info: Info[Context, None]) -> AsyncGenerator[Trade, None]:
    bot = await info.context.require_bot()
    async with open_feed(info, TRADES) as feed:  # never grouped: it reads the caller
        async for event in feed.events:
            assert isinstance(event, OrderFilled)
            live = info.context.state.runner.competition
            entrant = live.entrant_for_bot(bot.id) if live and live.id == event.competition_id else None
            if entrant is not None and event.fill.agent_id == entrant.info.agent_id:
                yield Trade.from_fill(event.competition_id, event.fill)


async def bot_entrants(info: Info[Context, None], bot_ids: list[strawberry.ID]) -> list[AgentSpec]:
    """An entrant spec for each bot taking part; unknown or revoked bots are refused."""
    specs = []
    for bot_id in bot_ids:
        row = await bot_store.get_bot(info.context.state.db, str(bot_id))
        if row is None or row.revoked_at is not None:
            raise ArenaError(ErrorCode.INVALID_CONFIG, f"no active bot {bot_id!r}", "bots")
        specs.append(AgentSpec.bot(row.name, row.id))
    return specs

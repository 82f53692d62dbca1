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
from arena.store import entrants, fills


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
    state = info.context.state
    found = await _bot_entrant(info, bot.id)
    if found is None:
        return Me(bot=Bot.from_row(bot), agent=None, trades=[])
    competition_id, agent_id = found
    standings = await info.context.standings(competition_id)
    standing = next((s for s in standings if s.agent_id == agent_id), None)
    rows = await fills.list_fills(state.db, agent_id=agent_id, limit=50)
    return Me(
        bot=Bot.from_row(bot),
        agent=None if standing is None else Agent.from_snapshot(competition_id, standing),
        trades=[Trade.from_row(r) for r in rows],
    )


async def _bot_entrant(
    info: Info[Context, None], bot_id: str, competition_id: str | None = None
) -> tuple[str, str] | None:
    """(competition id, agent id) of the bot in the running competition (or in `competition_id`):
    the engine's own, or, on an API replica, the store's."""
    state = info.context.state
    if state.engine_client is not None:
        return await entrants.bot_entrant(state.db, bot_id, competition_id)
    live = state.runner.competition
    if live is None or (competition_id is not None and live.id != competition_id):
        return None
    entrant = live.entrant_for_bot(bot_id)
    return None if entrant is None else (live.id, entrant.info.agent_id)


async def my_fills(info: Info[Context, None]) -> AsyncGenerator[Trade, None]:
    bot = await info.context.require_bot()
    known: dict[str, str | None] = {}  # competition id -> the bot's agent id there (None: not in it)
    async with open_feed(info, TRADES) as feed:  # never grouped: it reads the caller
        async for event in feed.events:
            assert isinstance(event, OrderFilled)
            competition_id = event.competition_id
            if competition_id not in known or info.context.state.engine_client is None:
                found = await _bot_entrant(info, bot.id, competition_id)
                known[competition_id] = None if found is None else found[1]
            if known[competition_id] is not None and event.fill.agent_id == known[competition_id]:
                yield Trade.from_fill(competition_id, event.fill)


async def bot_entrants(info: Info[Context, None], bot_ids: list[strawberry.ID]) -> list[AgentSpec]:
    """An entrant spec for each bot taking part; unknown or revoked bots are refused."""
    specs = []
    for bot_id in bot_ids:
        row = await bot_store.get_bot(info.context.state.db, str(bot_id))
        if row is None or row.revoked_at is not None:
            raise ArenaError(ErrorCode.INVALID_CONFIG, f"no active bot {bot_id!r}", "bots")
        specs.append(AgentSpec.bot(row.name, row.id))
    return specs

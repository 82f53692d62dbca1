"""External bots over GraphQL: registration (operator), orders and account (bot token)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from arena.api import readers
from arena.api.context import Context
from arena.api.publisher import TRADES
from arena.api.streams import subscribe
from arena.api.types import Agent, SideEnum, Trade, UserError
from arena.domain.events import OrderFilled
from arena.domain.orders import Fill, OrderIntent, Rejection, Side
from arena.domain.values import InvalidNumber, to_decimal
from arena.errors import ArenaError, ErrorCode
from arena.store import bots as bot_store
from arena.store import repository
from arena.store.tables import BotRow

ORDER_TIMEOUT_S = 30.0


@strawberry.type
class Bot:
    id: strawberry.ID
    name: str
    created_at: datetime
    revoked: bool

    @classmethod
    def from_row(cls, row: BotRow) -> Bot:
        return cls(id=strawberry.ID(row.id), name=row.name, created_at=row.created_at, revoked=row.revoked_at is not None)


@strawberry.type
class RegisterBotPayload:
    bot: Bot | None
    token: str | None = strawberry.field(description="The bot's secret token. Shown once; only its hash is stored.")
    user_errors: list[UserError]


@strawberry.type
class RevokeBotPayload:
    bot: Bot | None
    user_errors: list[UserError]


@strawberry.input
class PlaceOrderInput:
    symbol: str
    side: SideEnum  # type: ignore[valid-type]
    quantity: Decimal | None = None
    notional: Decimal | None = strawberry.field(default=None, description="Cash to spend (buy) or raise (sell).")
    client_order_id: str | None = strawberry.field(default=None, description="Makes the order idempotent.")


@strawberry.type
class PlaceOrderPayload:
    trade: Trade | None
    user_errors: list[UserError]


@strawberry.type
class Me:
    bot: Bot
    agent: Agent | None = strawberry.field(description="The bot's account in the current competition, if it takes part.")
    trades: list[Trade] = strawberry.field(description="The bot's latest 50 trades in the current competition.")


def _error(error: ArenaError) -> UserError:
    return UserError(field=error.field, message=error.message, code=error.code.value)


async def register_bot(info: Info[Context, None], name: str) -> RegisterBotPayload:
    info.context.require_operator()
    try:
        row, token = await bot_store.register_bot(info.context.state.db, name)
    except ArenaError as error:
        return RegisterBotPayload(bot=None, token=None, user_errors=[_error(error)])
    return RegisterBotPayload(bot=Bot.from_row(row), token=token, user_errors=[])


async def revoke_bot(info: Info[Context, None], id: strawberry.ID) -> RevokeBotPayload:
    info.context.require_operator()
    try:
        row = await bot_store.revoke_bot(info.context.state.db, str(id))
    except ArenaError as error:
        return RevokeBotPayload(bot=None, user_errors=[_error(error)])
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
    return OrderIntent(data.symbol, Side(data.side), quantity=quantity, notional=notional,
                       client_order_id=data.client_order_id)


async def place_order(info: Info[Context, None], input: PlaceOrderInput) -> PlaceOrderPayload:
    """Executes at the start of the next round, at that round's price (deterministic)."""
    bot = await info.context.require_bot()
    state = info.context.state
    try:
        intent = _intent(input)
        live = state.runner.competition
        entrant = live.entrant_for_bot(bot.id) if live else None
        if live is None or entrant is None:
            raise ArenaError(ErrorCode.NOT_RUNNING, "this bot is not in a running competition")
        if live.status.value != "RUNNING":
            code = ErrorCode.PAUSED if live.status.value == "PAUSED" else ErrorCode.NOT_RUNNING
            raise ArenaError(code, f"competition is {live.status.value}")
        if intent.symbol not in live.symbols:
            raise ArenaError(ErrorCode.UNKNOWN_SYMBOL, f"unknown symbol {intent.symbol!r}", "symbol")
        if not state.order_limiter.allow(bot.id):
            raise ArenaError(ErrorCode.RATE_LIMITED,
                             f"at most {state.settings.bot_orders_per_second:g} orders per second", None)
        future = state.runner.submit_order(entrant.info.agent_id, intent)
        outcome = await asyncio.wait_for(asyncio.shield(future), ORDER_TIMEOUT_S)
    except ArenaError as error:
        return PlaceOrderPayload(trade=None, user_errors=[_error(error)])
    if isinstance(outcome, Rejection):
        return PlaceOrderPayload(trade=None, user_errors=[UserError(field="quantity" if "INSUFFICIENT" in outcome.code.value else None,
                                                                    message=outcome.reason, code=outcome.code.value)])
    assert isinstance(outcome, Fill)
    return PlaceOrderPayload(trade=Trade.from_fill(live.id, outcome, entrant.info.name), user_errors=[])


async def me(info: Info[Context, None]) -> Me:
    bot = await info.context.require_bot()
    live = info.context.state.runner.competition
    entrant = live.entrant_for_bot(bot.id) if live else None
    if live is None or entrant is None:
        return Me(bot=Bot.from_row(bot), agent=None, trades=[])
    agent = await readers.agent_by_id(info.context, entrant.info.agent_id)
    rows = await repository.list_fills(info.context.state.db, agent_id=entrant.info.agent_id, limit=50)
    return Me(bot=Bot.from_row(bot), agent=agent, trades=[Trade.from_row(r, entrant.info.name) for r in rows])


async def my_fills(info: Info[Context, None]) -> AsyncGenerator[Trade, None]:
    bot = await info.context.require_bot()
    async with subscribe(info, TRADES) as subscriber:
        async for event in subscriber:
            assert isinstance(event, OrderFilled)
            live = info.context.state.runner.competition
            entrant = live.entrant_for_bot(bot.id) if live and live.id == event.competition_id else None
            if entrant is not None and event.fill.agent_id == entrant.info.agent_id:
                yield Trade.from_fill(event.competition_id, event.fill, entrant.info.name)


async def bot_specs(info: Info[Context, None], bot_ids: list[strawberry.ID]) -> list[tuple[str, str]]:
    """(name, bot id) for each bot taking part; unknown or revoked bots are refused."""
    specs = []
    for bot_id in bot_ids:
        row = await bot_store.get_bot(info.context.state.db, str(bot_id))
        if row is None or row.revoked_at is not None:
            raise ArenaError(ErrorCode.INVALID_CONFIG, f"no active bot {bot_id!r}", "bots")
        specs.append((row.name, row.id))
    return specs

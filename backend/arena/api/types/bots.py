"""External bots: registration, orders and the bot's own view."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from arena.api.types.agents import Agent
from arena.api.types.common import SideEnum, UserError
from arena.api.types.trades import Trade
from arena.store.tables import BotRow


@strawberry.type
class Bot:
    id: strawberry.ID
    name: str
    created_at: datetime
    revoked: bool

    @classmethod
    def from_row(cls, row: BotRow) -> Bot:
        return cls(
            id=strawberry.ID(row.id), name=row.name, created_at=row.created_at, revoked=row.revoked_at is not None
        )


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
    side: SideEnum
    quantity: Decimal | None = None
    notional: Decimal | None = strawberry.field(default=None, description="Cash to spend (buy) or raise (sell).")
    client_order_id: str | None = strawberry.field(
        default=None, description="Makes the order idempotent: the same order under the same id fills once."
    )


@strawberry.type
class PlaceOrderPayload:
    trade: Trade | None
    user_errors: list[UserError]


@strawberry.type
class Me:
    bot: Bot
    agent: Agent | None = strawberry.field(
        description="The bot's account in the current competition, if it takes part."
    )
    trades: list[Trade] = strawberry.field(description="The bot's latest 50 trades in the current competition.")

"""Trades: fills as the API shows them, live (from events) or stored, and their Relay connection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.types import Info

from arena.api.context import Context
from arena.api.ids import to_global_id
from arena.api.types.common import Node, PageInfo, SideEnum
from arena.domain.orders import Fill
from arena.store.fills import fill_of
from arena.store.tables import FillRow

if TYPE_CHECKING:
    from arena.api.types.agents import Agent
    from arena.api.types.competitions import Competition


def trade_global_id(competition_id: str, seq: int) -> str:
    """A trade is identified by its competition and its sequence number there."""
    return to_global_id("Trade", f"{competition_id}/{seq}")


@strawberry.type
class Trade(Node):
    agent_id: strawberry.ID = strawberry.field(deprecation_reason="Use `agent { id }`.")
    agent_name: str = strawberry.field(deprecation_reason="Use `agent { name }`.")
    competition_id: strawberry.ID = strawberry.field(deprecation_reason="Use `competition { id }`.")
    symbol: str
    side: SideEnum
    quantity: Decimal
    price: Decimal
    notional: Decimal
    fee: Decimal
    realized_pnl: Decimal
    round: int
    executed_at: datetime
    client_order_id: str | None

    @strawberry.field(description="The agent that traded, with its current standing.")
    async def agent(self, info: Info[Context, None]) -> Annotated[Agent, strawberry.lazy("arena.api.types.agents")]:
        from arena.api.types.agents import agent_by_id

        found = await agent_by_id(info.context, str(self.agent_id))
        assert found is not None  # a fill's agent is recorded with it
        return found

    @strawberry.field(description="The competition it was traded in.")
    async def competition(
        self, info: Info[Context, None]
    ) -> Annotated[Competition, strawberry.lazy("arena.api.types.competitions")]:
        from arena.api.types.competitions import competition_by_id

        found = await competition_by_id(info.context, str(self.competition_id))
        assert found is not None
        return found

    @classmethod
    def from_row(cls, row: FillRow) -> Trade:
        return cls.from_fill(row.competition_id, fill_of(row))

    @classmethod
    def from_fill(cls, competition_id: str, fill: Fill) -> Trade:
        return cls(
            id=strawberry.ID(trade_global_id(competition_id, fill.seq)),
            agent_id=strawberry.ID(fill.agent_id),
            agent_name=fill.agent_name,
            competition_id=strawberry.ID(competition_id),
            symbol=fill.symbol,
            side=fill.side,
            quantity=fill.quantity,
            price=fill.price,
            notional=fill.quantity * fill.price,
            fee=fill.fee,
            realized_pnl=fill.realized_pnl,
            round=fill.round,
            executed_at=fill.executed_at,
            client_order_id=fill.client_order_id,
        )


@strawberry.type
class TradeEdge:
    cursor: str
    node: Trade


@strawberry.type
class TradeConnection:
    edges: list[TradeEdge]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]  # read only when a client asks for totalCount

    @strawberry.field(description="How many there are in all (a count, made only when asked for).")
    async def total_count(self) -> int:
        return await self.count()

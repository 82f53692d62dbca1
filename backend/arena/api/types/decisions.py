"""Decisions: what a model agent was asked, what it answered, and what came of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal

import strawberry
from strawberry.types import Info

from arena.api.context import Context
from arena.api.ids import to_global_id
from arena.api.types.agents import Agent, agent_by_id
from arena.api.types.common import PageInfo, SideEnum
from arena.domain.decisions import Action, Decision, DecisionOrder, DecisionStatus, SymbolAction

ActionEnum = strawberry.enum(Action, name="DecisionActionKind")
DecisionStatusEnum = strawberry.enum(
    DecisionStatus,
    name="DecisionStatus",
    description="EXECUTED: the answer was carried out (HOLD included); ERROR: no usable answer, the agent held; "
    "LATE: it came after a newer decision was asked for, and was not executed.",
)


@strawberry.type(description="One symbol's line of a model's answer.")
class DecisionAction:
    symbol: str
    action: ActionEnum
    fraction: float = strawberry.field(description="BUY: the share of equity to spend; SELL: of the position.")
    confidence: float | None
    reasoning: str

    @classmethod
    def of(cls, action: SymbolAction) -> DecisionAction:
        return cls(
            symbol=action.symbol,
            action=action.action,
            fraction=action.fraction,
            confidence=action.confidence,
            reasoning=action.reasoning,
        )


@strawberry.type(description="An order a decision made, and its fill or rejection.")
class DecisionOrderResult:
    symbol: str
    side: SideEnum
    quantity: Decimal | None = strawberry.field(description="As ordered (a sell), or null for a buy by notional.")
    notional: Decimal | None = strawberry.field(description="As ordered (a buy), or null for a sell by quantity.")
    filled: bool
    trade_id: strawberry.ID | None = strawberry.field(description="The Trade it filled as.")
    filled_quantity: Decimal | None
    price: Decimal | None
    rejection_code: str | None
    rejection_reason: str | None

    @classmethod
    def of(cls, competition_id: str, order: DecisionOrder) -> DecisionOrderResult:
        filled = order.fill_seq is not None
        return cls(
            symbol=order.symbol,
            side=order.side,
            quantity=order.quantity,
            notional=order.notional,
            filled=filled,
            trade_id=strawberry.ID(to_global_id("Trade", f"{competition_id}/{order.fill_seq}")) if filled else None,
            filled_quantity=order.filled_quantity,
            price=order.price,
            rejection_code=None if order.rejection_code is None else order.rejection_code.value,
            rejection_reason=order.rejection_reason,
        )


@strawberry.type(name="Decision", description="A model agent's decision, as recorded.")
class DecisionNode:
    id: strawberry.ID
    competition_id: strawberry.ID
    agent_id: strawberry.ID
    agent_name: str
    seq: int = strawberry.field(description="Its order among the competition's decisions.")
    round: int = strawberry.field(description="The round it was executed (or recorded as not executed) at.")
    at: datetime = strawberry.field(description="That round's feed time.")
    asked_round: int = strawberry.field(description="The round it was asked for at.")
    asked_at: datetime = strawberry.field(description="When the model was asked (wall clock).")
    answered_at: datetime = strawberry.field(description="When its answer (or the failure) came (wall clock).")
    latency_ms: int
    model: str
    status: DecisionStatusEnum
    actions: list[DecisionAction]
    reasoning: str = strawberry.field(description="The actions' reasoning: one, or each symbol's on its own line.")
    error: str | None = strawberry.field(description="Why there was no usable answer (timeout, HTTP error, ...).")
    prompt_tokens: int | None
    completion_tokens: int | None
    attempts: int = strawberry.field(description="2 when the first answer was invalid and a repair was asked for.")
    orders: list[DecisionOrderResult]
    prompt: str = strawberry.field(description="The whole conversation sent to the model.")
    response: str | None = strawberry.field(description="The raw text of every answer that came.")

    @strawberry.field(description="The agent that decided, with its current standing.")
    async def agent(self, info: Info[Context, None]) -> Agent | None:
        return await agent_by_id(info.context, str(self.agent_id))

    @classmethod
    def of(cls, decision: Decision) -> DecisionNode:
        answer = decision.answer
        cid = decision.competition_id
        return cls(
            id=strawberry.ID(to_global_id("Decision", f"{cid}/{decision.seq}")),
            competition_id=strawberry.ID(cid),
            agent_id=strawberry.ID(decision.agent_id),
            agent_name=decision.agent_name,
            seq=decision.seq,
            round=decision.round,
            at=decision.at,
            asked_round=answer.asked_round,
            asked_at=answer.asked_at,
            answered_at=answer.answered_at,
            latency_ms=answer.latency_ms,
            model=answer.model,
            status=decision.status,
            actions=[DecisionAction.of(a) for a in answer.actions],
            reasoning=decision.reasoning,
            error=answer.error,
            prompt_tokens=answer.prompt_tokens,
            completion_tokens=answer.completion_tokens,
            attempts=answer.attempts,
            orders=[DecisionOrderResult.of(cid, o) for o in decision.orders],
            prompt=answer.prompt,
            response=answer.response,
        )


@strawberry.type
class DecisionEdge:
    cursor: str
    node: DecisionNode


@strawberry.type(description="Decisions newest first.")
class DecisionConnection:
    edges: list[DecisionEdge]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]  # read only when a client asks for totalCount

    @strawberry.field(description="How many there are in all (a count, made only when asked for).")
    async def total_count(self) -> int:
        return await self.count()

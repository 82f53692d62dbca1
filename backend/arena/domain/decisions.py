"""A language model's decisions: what it was asked, what it answered, and what came of it.

The app asks the model (`DecisionRequest` -> `ModelAnswer`); the engine executes the answer at
the first round after it arrives and records the whole of it as a `Decision`. A stored decision
is enough to execute it again the same way (a resumed competition never asks the model twice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from arena.domain.orders import Side
from arena.errors import ErrorCode


class Action(StrEnum):
    BUY = "BUY"
    SELL = "SELL"
    HOLD = "HOLD"


class DecisionStatus(StrEnum):
    EXECUTED = "EXECUTED"  # the answer was valid and its actions were carried out (HOLD included)
    ERROR = "ERROR"  # no usable answer (timeout, HTTP error, invalid JSON twice): the agent held
    LATE = "LATE"  # a valid answer that came after a newer decision was asked for: not executed
    RESTING = "RESTING"  # a valid answer that came while the agent rests (after failures or losses): not executed


@dataclass(frozen=True, slots=True)
class SymbolAction:
    """One line of the model's answer: `fraction` of equity to buy, or of the position to sell."""

    symbol: str
    action: Action
    fraction: float = 0.0
    confidence: float | None = None
    reasoning: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "action": self.action.value,
            "fraction": self.fraction,
            "confidence": self.confidence,
            "reasoning": self.reasoning,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SymbolAction:
        return cls(
            data["symbol"], Action(data["action"]), data["fraction"], data.get("confidence"), data.get("reasoning", "")
        )


@dataclass(frozen=True, slots=True)
class DecisionRequest:
    """The engine wants agent `agent_id` to decide: the facts the prompt is written from."""

    competition_id: str
    agent_id: str
    round: int
    at: datetime  # feed time of the round it was asked at
    number: int  # the agent's how-manieth decision (1, 2, ...)
    facts: dict[str, Any]  # see `arena.llm.prompt`: rules, elapsed time, symbols, account


@dataclass(frozen=True, slots=True)
class ModelAnswer:
    """What came back (or did not) for a request, as the app hands it to the engine."""

    agent_id: str
    asked_round: int
    asked_at: datetime  # wall clock
    answered_at: datetime  # wall clock
    model: str
    prompt: str
    response: str | None  # the raw text of the last answer, if any came
    actions: tuple[SymbolAction, ...] = ()
    error: str | None = None
    late: bool = False  # a newer decision was asked for while this one was out
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    attempts: int = 1  # 2 when a repair was asked for

    @property
    def latency_ms(self) -> int:
        return max(0, round((self.answered_at - self.asked_at).total_seconds() * 1000))

    @property
    def status(self) -> DecisionStatus:
        if self.error is not None:
            return DecisionStatus.ERROR
        return DecisionStatus.LATE if self.late else DecisionStatus.EXECUTED


@dataclass(frozen=True, slots=True)
class DecisionOrder:
    """An order a decision made, and what became of it: a fill (its trade seq) or a rejection."""

    symbol: str
    side: Side
    quantity: Decimal | None = None
    notional: Decimal | None = None
    fill_seq: int | None = None
    filled_quantity: Decimal | None = None
    price: Decimal | None = None
    rejection_code: ErrorCode | None = None
    rejection_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "symbol": self.symbol,
            "side": self.side.value,
            "quantity": text(self.quantity),
            "notional": text(self.notional),
            "fill_seq": self.fill_seq,
            "filled_quantity": text(self.filled_quantity),
            "price": text(self.price),
            "rejection_code": None if self.rejection_code is None else self.rejection_code.value,
            "rejection_reason": self.rejection_reason,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DecisionOrder:
        def number(key: str) -> Decimal | None:
            return None if data.get(key) is None else Decimal(data[key])

        code = data.get("rejection_code")
        return cls(
            data["symbol"],
            Side(data["side"]),
            number("quantity"),
            number("notional"),
            data.get("fill_seq"),
            number("filled_quantity"),
            number("price"),
            None if code is None else ErrorCode(code),
            data.get("rejection_reason"),
        )


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision as recorded: the answer, the round it was executed (or dropped) at, its orders."""

    competition_id: str
    agent_id: str
    agent_name: str
    seq: int  # order within the competition
    round: int  # the round it was executed (or recorded as not executed) at
    at: datetime  # that round's feed time
    answer: ModelAnswer
    orders: tuple[DecisionOrder, ...] = ()
    status: DecisionStatus = DecisionStatus.EXECUTED  # the answer's, or RESTING when it came while the agent rested

    @property
    def reasoning(self) -> str:
        """The model's reasoning: one action's, or each symbol's on a line of its own."""
        said = [a for a in self.answer.actions if a.reasoning]
        if len(said) == 1:
            return said[0].reasoning
        return "\n".join(f"{a.symbol}: {a.reasoning}" for a in said)

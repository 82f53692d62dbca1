"""Immutable events the engine emits to its sinks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from arena.domain.market import QuoteBatch
from arena.domain.orders import Fill, Rejection


class CompetitionStatus(str, Enum):
    IDLE = "IDLE"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"
    FINISHED = "FINISHED"
    INTERRUPTED = "INTERRUPTED"


class AgentStatus(str, Enum):
    ACTIVE = "ACTIVE"
    RESTING = "RESTING"


@dataclass(frozen=True, slots=True)
class AgentSnapshot:
    """One agent's standing after a round."""

    agent_id: str
    name: str
    strategy: str
    kind: str
    status: AgentStatus
    cash: Decimal
    equity: Decimal
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    return_pct: float
    trade_count: int
    win_rate: float | None
    scars: int
    max_drawdown: float
    sharpe: float | None
    profit_factor: float | None
    rank: int = 0


@dataclass(frozen=True, slots=True)
class EntrantInfo:
    agent_id: str
    name: str
    strategy: str
    kind: str
    params: dict[str, Any]
    slot: int


@dataclass(frozen=True, slots=True)
class CompetitionCreated:
    """Emitted once before the first round: everything needed to persist the competition."""

    competition_id: str
    name: str
    config: dict[str, Any]  # CompetitionConfig.to_dict()
    feed_kind: str
    feed_description: str
    entrants: tuple[EntrantInfo, ...]
    starting_cash: Decimal
    at: datetime


@dataclass(frozen=True, slots=True)
class QuotesReceived:
    competition_id: str | None
    round: int | None
    batch: QuoteBatch


@dataclass(frozen=True, slots=True)
class OrderFilled:
    competition_id: str
    fill: Fill


@dataclass(frozen=True, slots=True)
class OrderRejected:
    competition_id: str
    rejection: Rejection


@dataclass(frozen=True, slots=True)
class RoundCompleted:
    competition_id: str
    round: int
    at: datetime
    leaderboard: tuple[AgentSnapshot, ...]


@dataclass(frozen=True, slots=True)
class StateChanged:
    competition_id: str
    previous: CompetitionStatus
    status: CompetitionStatus
    round: int
    at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CompetitionFinished:
    competition_id: str
    status: CompetitionStatus
    round: int
    at: datetime
    winner_id: str | None
    leaderboard: tuple[AgentSnapshot, ...]


Event = (
    CompetitionCreated
    | QuotesReceived | OrderFilled | OrderRejected | RoundCompleted | StateChanged | CompetitionFinished
)

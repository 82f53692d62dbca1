"""Immutable events the engine emits to its sinks, and the standings they carry."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from arena.domain.decisions import Decision
from arena.domain.market import Quote, QuoteBatch
from arena.domain.orders import Fill, Rejection


class CompetitionStatus(StrEnum):
    IDLE = "IDLE"
    RUNNING = "RUNNING"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"
    FINISHED = "FINISHED"
    INTERRUPTED = "INTERRUPTED"


class AgentStatus(StrEnum):
    ACTIVE = "ACTIVE"
    RESTING = "RESTING"


class AgentKind(StrEnum):
    BUILTIN = "BUILTIN"  # a strategy that runs inside the engine
    BOT = "BOT"  # an external program that orders through the API


@dataclass(slots=True)
class AgentSnapshot:
    """One agent's standing after a round: the one shape of an agent's numbers.

    Read-only by contract, not `frozen`, with its `__init__` written out: a round builds one per
    agent, and a frozen dataclass sets each field through `object.__setattr__` (~4 µs of a ~30 µs
    round at max speed, against ~0.4 µs for a plain one), while compiled (arena.native) a
    dataclass's generated `__init__` stays interpreted Python (~10x one written here). Nothing
    assigns to a snapshot after it is built.

    The live leaderboard, the stored equity rows and the API's Agent all carry
    exactly these fields (`STANDING_FIELDS`), and every conversion between them goes
    by that list: a new statistic is a field here (its default is its value before
    the first round) and a parameter of `__init__`, its computation in `Competition.snapshot`,
    a column of `EquityRow` with its revision, and a field of the API's `Agent`.
    """

    agent_id: str
    name: str
    strategy: str
    kind: AgentKind
    status: AgentStatus
    cash: Decimal
    equity: Decimal
    # the defaults are the standing before the first round
    realized_pnl: Decimal = Decimal(0)
    unrealized_pnl: Decimal = Decimal(0)
    return_pct: float = 0.0
    trade_count: int = 0
    win_rate: float | None = None
    scars: int = 0
    max_drawdown: float = 0.0
    sharpe: float | None = None
    profit_factor: float | None = None
    rank: int = 0

    def __init__(
        self,
        agent_id: str,
        name: str,
        strategy: str,
        kind: AgentKind,
        status: AgentStatus,
        cash: Decimal,
        equity: Decimal,
        realized_pnl: Decimal = Decimal(0),
        unrealized_pnl: Decimal = Decimal(0),
        return_pct: float = 0.0,
        trade_count: int = 0,
        win_rate: float | None = None,
        scars: int = 0,
        max_drawdown: float = 0.0,
        sharpe: float | None = None,
        profit_factor: float | None = None,
        rank: int = 0,
    ) -> None:
        self.agent_id = agent_id
        self.name = name
        self.strategy = strategy
        self.kind = kind
        self.status = status
        self.cash = cash
        self.equity = equity
        self.realized_pnl = realized_pnl
        self.unrealized_pnl = unrealized_pnl
        self.return_pct = return_pct
        self.trade_count = trade_count
        self.win_rate = win_rate
        self.scars = scars
        self.max_drawdown = max_drawdown
        self.sharpe = sharpe
        self.profit_factor = profit_factor
        self.rank = rank

    @classmethod
    def opening(cls, entrant: EntrantInfo, starting_cash: Decimal, rank: int) -> AgentSnapshot:
        """The standing before the first round: all cash, no trades."""
        return cls(
            entrant.agent_id,
            entrant.name,
            entrant.strategy,
            entrant.kind,
            AgentStatus.ACTIVE,
            cash=starting_cash,
            equity=starting_cash,
            rank=rank,
        )


IDENTITY_FIELDS = ("agent_id", "name", "strategy", "kind")
# the numbers of a standing: what an equity row stores for each agent and round
STANDING_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(AgentSnapshot) if f.name not in IDENTITY_FIELDS)


@dataclass(frozen=True, slots=True)
class EntrantInfo:
    agent_id: str
    name: str
    strategy: str
    kind: AgentKind
    params: dict[str, Any]
    slot: int


@dataclass(frozen=True, slots=True)
class CompetitionCreated:
    """Emitted once before the first round: everything needed to persist the competition."""

    competition_id: str
    name: str
    config: dict[str, Any]  # CompetitionConfig.to_dict()
    feed_id: str
    feed_kind: str
    feed_description: str
    entrants: tuple[EntrantInfo, ...]
    starting_cash: Decimal
    at: datetime
    leaderboard: tuple[AgentSnapshot, ...]  # the opening standings


# The two events of every round are read-only by contract, hashed by value, with their `__init__`
# written out (as `AgentSnapshot`, for the same reason); every other event is frozen.


@dataclass(slots=True, unsafe_hash=True)
class QuotesReceived:
    """One batch of a feed. `feed_id` names the feed; the competition and round are set when one played it."""

    feed_id: str
    competition_id: str | None
    round: int | None
    batch: QuoteBatch

    def __init__(self, feed_id: str, competition_id: str | None, round: int | None, batch: QuoteBatch) -> None:
        self.feed_id = feed_id
        self.competition_id = competition_id
        self.round = round
        self.batch = batch


@dataclass(frozen=True, slots=True)
class HistoryLoaded:
    """Prices from before a live feed started (its exchange's recent candles): stored, not played."""

    feed_id: str
    quotes: tuple[Quote, ...]


@dataclass(frozen=True, slots=True)
class OrderFilled:
    competition_id: str
    fill: Fill


@dataclass(frozen=True, slots=True)
class OrderRejected:
    competition_id: str
    rejection: Rejection


@dataclass(slots=True, unsafe_hash=True)
class RoundCompleted:
    competition_id: str
    round: int
    at: datetime
    leaderboard: tuple[AgentSnapshot, ...]

    def __init__(self, competition_id: str, round: int, at: datetime, leaderboard: tuple[AgentSnapshot, ...]) -> None:
        self.competition_id = competition_id
        self.round = round
        self.at = at
        self.leaderboard = leaderboard


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


@dataclass(frozen=True, slots=True)
class DecisionRecorded:
    """A language model's decision, executed (or not) at `decision.round`."""

    competition_id: str
    decision: Decision


Event = (
    CompetitionCreated
    | QuotesReceived
    | HistoryLoaded
    | OrderFilled
    | OrderRejected
    | RoundCompleted
    | StateChanged
    | CompetitionFinished
    | DecisionRecorded
)

"""A batch of events turned into rows, in event order, before any I/O: the recorder's first step.

At max speed a batch holds thousands of rounds, and every round adds a tick row per quote and an
equity row per agent whose standing changed (see `arena.store.recorder` for which). The rows of
those two tables are built straight in the driver's form, in the order of `TICK_COLUMNS` and
`EQUITY_COLUMNS` (Decimals as their exact text, times as epoch microseconds, statuses as their
values: what `DecimalText`, `UTCDateTime` and the enums' values give), which is what
`bulk.values_write` takes; the other tables' rows are dicts (`event_rows`) that the columns'
own types convert. Compiled with the round (arena.native).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from arena.domain.events import (
    AgentSnapshot,
    CompetitionCreated,
    CompetitionFinished,
    CompetitionStatus,
    DecisionRecorded,
    Event,
    HistoryLoaded,
    OrderFilled,
    OrderRejected,
    QuotesReceived,
    RoundCompleted,
    StateChanged,
)
from arena.domain.market import Quote
from arena.store import event_rows as rows
from arena.store.errors import RecordError
from arena.store.micros import to_micros

Row = dict[str, Any]
Values = tuple[Any, ...]

TICK_COLUMNS = ("feed_id", "symbol", "price", "volume", "change_pct", "timestamp", "competition_id", "round")
EQUITY_COLUMNS = (
    "agent_id",
    "round",
    "competition_id",
    "at",
    "equity",
    "cash",
    "realized_pnl",
    "unrealized_pnl",
    "return_pct",
    "trade_count",
    "win_rate",
    "scars",
    "max_drawdown",
    "sharpe",
    "profit_factor",
    "status",
    "rank",
)  # the key, the round's time, then every field of `STANDING_FIELDS`, in the table's order

_ENDED = (CompetitionStatus.STOPPED, CompetitionStatus.FINISHED)


def exact_text(value: Decimal) -> str:
    """A Decimal as `DecimalText` stores it: its exact string; anything but a finite Decimal is refused."""
    if type(value) is not Decimal or not value.is_finite():
        raise RecordError(f"not a finite Decimal, cannot be stored as one: {value!r}")
    return str(value)


def tick_values(feed_id: str, quote: Quote, timestamp: int, competition_id: str | None, round_: int | None) -> Values:
    """A price tick row in `TICK_COLUMNS` order; `timestamp` is the quote's, in epoch microseconds."""
    volume = quote.volume
    return (
        feed_id,
        quote.symbol,
        exact_text(quote.price),
        None if volume is None else exact_text(volume),
        quote.change_pct,
        timestamp,
        competition_id,
        round_,
    )


def same_standing(before: AgentSnapshot, now: AgentSnapshot) -> bool:
    """Whether an agent's round is worth no row of its own: the same equity, cash, unrealized PnL,
    trades, status and rank as its round before (a flat agent: most often the very same values)."""
    return (
        (before.equity is now.equity or before.equity == now.equity)
        and (before.cash is now.cash or before.cash == now.cash)
        and (before.unrealized_pnl is now.unrealized_pnl or before.unrealized_pnl == now.unrealized_pnl)
        and before.trade_count == now.trade_count
        and before.status is now.status
        and before.rank == now.rank
    )


def equity_values(
    competition_id: str, round_: int, at: int, s: AgentSnapshot, cash: str | None = None, realized: str | None = None
) -> Values:
    """An equity row in `EQUITY_COLUMNS` order; `at` is the round's time in epoch microseconds;
    `cash` and `realized`, when given, are those amounts' text already."""
    return (
        s.agent_id,
        round_,
        competition_id,
        at,
        exact_text(s.equity),
        exact_text(s.cash) if cash is None else cash,
        exact_text(s.realized_pnl) if realized is None else realized,
        exact_text(s.unrealized_pnl),
        s.return_pct,
        s.trade_count,
        s.win_rate,
        s.scars,
        s.max_drawdown,
        s.sharpe,
        s.profit_factor,
        s.status.value,
        s.rank,
    )


class CompetitionPatch:
    """Updates to a competition that already exists in the database."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.started_at: datetime | None = None  # applied only if the stored started_at is NULL


class BatchPlan:
    """The rows of one batch, built event by event (`add`, then `release_held` once at the end)."""

    def __init__(self, standings: dict[str, AgentSnapshot]) -> None:
        # each agent's standing in its latest round (the recorder's, from batches before; this batch's on commit)
        self.standings = standings
        # an agent's latest round equal to the round before it, not stored (yet): (competition, round, at, snapshot)
        self.held: dict[str, tuple[str, int, datetime, AgentSnapshot]] = {}
        self.competitions: dict[str, Row] = {}
        self.entrants: list[Row] = []
        self.ticks: list[Values] = []
        self.fills: list[Row] = []
        self.rejections: list[Row] = []
        self.decisions: list[Row] = []
        self.equity: dict[tuple[str, int], Values] = {}
        self.patches: dict[str, CompetitionPatch] = {}
        self._time: datetime | None = None  # the last time converted, and its microseconds: a round's
        self._micros = 0  # time is shared by its ticks and its equity rows
        # each agent's cash and realized PnL as text, by the Decimals they are: they change only with a trade
        self._texts: dict[str, tuple[Decimal, str, Decimal, str]] = {}

    def add(self, event: Event) -> None:
        kind = type(event)
        if kind is RoundCompleted:
            assert isinstance(event, RoundCompleted)
            self._round(event)
        elif kind is QuotesReceived:
            assert isinstance(event, QuotesReceived)
            batch = event.batch
            self._ticks(event.feed_id, batch.quotes, event.competition_id, event.round)
        elif kind is OrderFilled:
            assert isinstance(event, OrderFilled)
            self.fills.append(rows.fill_row(event.competition_id, event.fill))
        elif kind is OrderRejected:
            assert isinstance(event, OrderRejected)
            self.rejections.append(rows.rejection_row(event.competition_id, event.rejection))
        elif kind is DecisionRecorded:
            assert isinstance(event, DecisionRecorded)
            self.decisions.append(rows.decision_row(event.decision))
        elif kind is HistoryLoaded:
            assert isinstance(event, HistoryLoaded)
            self._ticks(event.feed_id, event.quotes, None, None)
        elif kind is StateChanged:
            assert isinstance(event, StateChanged)
            self._set(event.competition_id, {"status": event.status.value})
            if event.status is CompetitionStatus.RUNNING:
                self._start(event.competition_id, event.at)
            if event.status in _ENDED:
                self._set(event.competition_id, {"ended_at": event.at})
        elif kind is CompetitionCreated:
            assert isinstance(event, CompetitionCreated)
            if event.competition_id in self.competitions:
                raise RecordError(f"competition {event.competition_id} created twice in one batch")
            self.competitions[event.competition_id] = rows.competition_row(event)
            self.entrants.extend(rows.entrant_rows(event))
        elif kind is CompetitionFinished:
            assert isinstance(event, CompetitionFinished)
            self._finished(event)
        else:
            raise RecordError(f"cannot record {kind.__name__}")

    def release_held(self) -> None:
        """Store the rows held back: each the last round of a run of equal ones."""
        for competition_id, round_, at, snapshot in self.held.values():
            self._equity(competition_id, round_, at, snapshot)
        self.held.clear()

    def _round(self, event: RoundCompleted) -> None:
        standings, held = self.standings, self.held
        competition_id, round_, at = event.competition_id, event.round, event.at
        for snapshot in event.leaderboard:
            agent_id = snapshot.agent_id
            before = standings.get(agent_id)
            if before is not None and same_standing(before, snapshot):
                held[agent_id] = (competition_id, round_, at, snapshot)
                continue
            standings[agent_id] = snapshot
            run_end = held.pop(agent_id, None)
            if run_end is not None:  # the last round of a run of equal ones
                self._equity(run_end[0], run_end[1], run_end[2], run_end[3])
            self._equity(competition_id, round_, at, snapshot)
        self._set_round(competition_id, round_)

    def _finished(self, event: CompetitionFinished) -> None:
        self.release_held()
        for snapshot in event.leaderboard:
            self.standings.pop(snapshot.agent_id, None)  # it plays no more rounds
            key = (snapshot.agent_id, event.round)
            earlier = self.equity.get(key)
            # the final standings replace the round's row, keeping its time
            at = earlier[3] if earlier is not None else self._to_micros(event.at)
            self.equity[key] = equity_values(event.competition_id, event.round, at, snapshot)
        self._set(
            event.competition_id,
            {
                "status": event.status.value,
                "winner_agent_id": event.winner_id,
                "ended_at": event.at,
                "round": event.round,
            },
        )

    def _ticks(self, feed_id: str, quotes: tuple[Quote, ...], competition_id: str | None, round_: int | None) -> None:
        for quote in quotes:
            self.ticks.append(tick_values(feed_id, quote, self._to_micros(quote.timestamp), competition_id, round_))

    def _equity(self, competition_id: str, round_: int, at: datetime, snapshot: AgentSnapshot) -> None:
        agent_id = snapshot.agent_id
        texts = self._texts.get(agent_id)
        if texts is None or texts[0] is not snapshot.cash or texts[2] is not snapshot.realized_pnl:
            cash, realized = snapshot.cash, snapshot.realized_pnl
            texts = self._texts[agent_id] = (cash, exact_text(cash), realized, exact_text(realized))
        at_micros = self._to_micros(at)
        self.equity[(agent_id, round_)] = equity_values(competition_id, round_, at_micros, snapshot, texts[1], texts[3])

    def _to_micros(self, at: datetime) -> int:
        if at is not self._time:
            self._micros = to_micros(at)
            self._time = at
        return self._micros

    def _set_round(self, competition_id: str, round_: int) -> None:
        """`_set(competition_id, {"round": round_})`, without a dict per round."""
        created = self.competitions.get(competition_id)
        if created is not None:
            created["round"] = round_
            return
        patch = self.patches.get(competition_id)
        if patch is None:
            patch = self.patches[competition_id] = CompetitionPatch()
        patch.values["round"] = round_

    def _set(self, competition_id: str, values: dict[str, Any]) -> None:
        created = self.competitions.get(competition_id)
        if created is not None:
            created.update(values)
        else:
            patch = self.patches.get(competition_id)
            if patch is None:
                patch = self.patches[competition_id] = CompetitionPatch()
            patch.values.update(values)

    def _start(self, competition_id: str, at: datetime) -> None:
        created = self.competitions.get(competition_id)
        if created is not None:
            if created["started_at"] is None:
                created["started_at"] = at
            return
        patch = self.patches.get(competition_id)
        if patch is None:
            patch = self.patches[competition_id] = CompetitionPatch()
        if patch.started_at is None:
            patch.started_at = at

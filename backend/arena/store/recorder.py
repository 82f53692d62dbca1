"""The recorder: the first sink. It commits each batch of events before they are published.

A batch is written in ONE transaction with one bulk (executemany) statement per
table, so either every event of the batch is stored or none is. Event order is
kept where it matters: fills get their global trade ids in event order, and
competition updates are applied in event order (last write wins).

Rules:
* CompetitionCreated -> a competition row with status IDLE (until a StateChanged)
  and its entrant rows.
* HistoryLoaded -> a price tick row per quote of a live feed's past (no competition, no round).
* QuotesReceived -> one price tick row per quote, every tick stored as received
  (no de-duplication, no sampling), tagged with its feed and with the competition and
  round that played it (both None when no competition was running).
* OrderFilled -> a fill row; OrderRejected -> a rejection row.
* RoundCompleted -> an agent's equity row where its standing changed; competition.round.
  A row whose equity, cash, unrealized PnL, trade count, status and rank are those of the
  agent's round before is held back, and stored only as the last round of such a run (before
  the change, or at the batch's end): every run of equal rounds keeps its first and its last
  row, so the curve through the stored rows is the curve of every round, and the last round of
  every batch has every agent's row (the latest standings). Only the skipped rows' Sharpe
  (which moves with every round's zero return) is not kept. At max speed most rounds of a flat
  agent are such rows; paced play stores one round per batch, hence every row.
* StateChanged -> competition status; started_at the first time it is RUNNING;
  ended_at when it becomes STOPPED or FINISHED.
* CompetitionFinished -> status, winner, ended_at and round; its leaderboard is
  stored as the equity rows of that round (updating the RoundCompleted rows of the
  same round, keeping their timestamp), so the final standings always persist.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Table, func, insert, literal, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

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
from arena.store import event_rows as rows
from arena.store.bulk import bulk_write
from arena.store.columns import UTCDateTime
from arena.store.db import Database
from arena.store.errors import RecordError
from arena.store.tables import (
    CompetitionRow,
    DecisionRow,
    EntrantRow,
    EquityRow,
    FillRow,
    PriceTickRow,
    RejectionRow,
)

logger = logging.getLogger(__name__)

_ENDED = (CompetitionStatus.STOPPED, CompetitionStatus.FINISHED)
_EQUITY_KEY = ("agent_id", "round")


def _table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]  # SQLModel declares it untyped


@dataclass(slots=True)
class _CompetitionPatch:
    """Updates to a competition that already exists in the database."""

    values: dict[str, Any] = field(default_factory=dict)
    started_at: datetime | None = None  # applied only if the stored started_at is NULL


StandingKey = tuple[Any, ...]


def _standing_key(s: AgentSnapshot) -> StandingKey:
    """What makes an agent's round worth a row of its own (see the module's rules)."""
    return (s.equity, s.cash, s.unrealized_pnl, s.trade_count, s.status, s.rank)


@dataclass(slots=True)
class _Plan:
    """A batch of events turned into rows, in event order, before any I/O."""

    # each agent's standing in its latest round (the recorder's, from batches before; this batch's on commit)
    standings: dict[str, StandingKey] = field(default_factory=dict)
    # an agent's latest round equal to the round before it, not stored (yet): (competition, round, at, snapshot)
    held: dict[str, tuple[str, int, datetime, AgentSnapshot]] = field(default_factory=dict)
    competitions: dict[str, rows.Row] = field(default_factory=dict)
    entrants: list[rows.Row] = field(default_factory=list)
    ticks: list[rows.Row] = field(default_factory=list)
    fills: list[rows.Row] = field(default_factory=list)
    rejections: list[rows.Row] = field(default_factory=list)
    decisions: list[rows.Row] = field(default_factory=list)
    equity: dict[tuple[str, int], rows.Row] = field(default_factory=dict)
    patches: dict[str, _CompetitionPatch] = field(default_factory=dict)

    def add(self, event: Event) -> None:
        match event:
            case CompetitionCreated():
                if event.competition_id in self.competitions:
                    raise RecordError(f"competition {event.competition_id} created twice in one batch")
                self.competitions[event.competition_id] = rows.competition_row(event)
                self.entrants.extend(rows.entrant_rows(event))
            case QuotesReceived():
                self.ticks.extend(rows.tick_rows(event))
            case HistoryLoaded():
                self.ticks.extend(rows.history_rows(event))
            case OrderFilled():
                self.fills.append(rows.fill_row(event.competition_id, event.fill))
            case OrderRejected():
                self.rejections.append(rows.rejection_row(event.competition_id, event.rejection))
            case DecisionRecorded():
                self.decisions.append(rows.decision_row(event.decision))
            case RoundCompleted():
                standings, held = self.standings, self.held
                for snapshot in event.leaderboard:
                    agent_id = snapshot.agent_id
                    key = _standing_key(snapshot)
                    if standings.get(agent_id) == key:
                        held[agent_id] = (event.competition_id, event.round, event.at, snapshot)
                        continue
                    standings[agent_id] = key
                    run_end = held.pop(agent_id, None)
                    if run_end is not None:  # the last round of a run of equal ones
                        self._equity(*run_end)
                    self._equity(event.competition_id, event.round, event.at, snapshot)
                self._set(event.competition_id, round=event.round)
            case StateChanged():
                self._set(event.competition_id, status=event.status.value)
                if event.status is CompetitionStatus.RUNNING:
                    self._start(event.competition_id, event.at)
                if event.status in _ENDED:
                    self._set(event.competition_id, ended_at=event.at)
            case CompetitionFinished():
                self.release_held()
                for snapshot in event.leaderboard:
                    self.standings.pop(snapshot.agent_id, None)  # it plays no more rounds
                    row = rows.equity_row(event.competition_id, event.round, event.at, snapshot)
                    earlier = self.equity.get((snapshot.agent_id, event.round))
                    if earlier is not None:
                        row["at"] = earlier["at"]
                    self.equity[(snapshot.agent_id, event.round)] = row
                self._set(
                    event.competition_id,
                    status=event.status.value,
                    winner_agent_id=event.winner_id,
                    ended_at=event.at,
                    round=event.round,
                )
            case _:
                raise RecordError(f"cannot record {type(event).__name__}")

    def release_held(self) -> None:
        """Store the rows held back: each the last round of a run of equal ones."""
        for held in self.held.values():
            self._equity(*held)
        self.held.clear()

    def _equity(self, competition_id: str, round_: int, at: datetime, snapshot: AgentSnapshot) -> None:
        self.equity[(snapshot.agent_id, round_)] = rows.equity_row(competition_id, round_, at, snapshot)

    def _set(self, competition_id: str, **values: Any) -> None:
        created = self.competitions.get(competition_id)
        if created is not None:
            created.update(values)
        else:
            self.patches.setdefault(competition_id, _CompetitionPatch()).values.update(values)

    def _start(self, competition_id: str, at: datetime) -> None:
        created = self.competitions.get(competition_id)
        if created is not None:
            if created["started_at"] is None:
                created["started_at"] = at
            return
        patch = self.patches.setdefault(competition_id, _CompetitionPatch())
        if patch.started_at is None:
            patch.started_at = at


class Annex(Protocol):
    """Rows derived from a batch that must be stored in the batch's own transaction (fired alerts):
    `prepare` before it (no side effects), `write` in it, `committed` once it is stored."""

    def prepare(self, events: Sequence[Event]) -> Any: ...

    async def write(self, session: AsyncSession, prepared: Any) -> None: ...

    def committed(self, prepared: Any) -> None: ...


class Recorder:
    """Writes event batches to the database, one transaction per batch."""

    def __init__(self, db: Database, annex: Annex | None = None) -> None:
        self._db = db
        self.annex = annex
        # checked first in every batch's transaction (the engine lease's, on PostgreSQL): raising refuses the batch
        self.fence: Callable[[AsyncSession], Awaitable[None]] | None = None
        self._lock = asyncio.Lock()  # one writer per process; SQLite serializes writers anyway
        self._fills_persisted = 0
        self._standings: dict[str, StandingKey] = {}  # agent id -> its standing in the latest stored round

    @property
    def fills_persisted(self) -> int:
        """Fills committed by this recorder since it was created."""
        return self._fills_persisted

    async def record(self, events: Sequence[Event]) -> None:
        """Commit a whole batch atomically; raises (and stores nothing) on any failure."""
        if not events:
            return
        started = time.perf_counter()
        annex = self.annex
        async with self._lock:
            plan = _Plan(standings=dict(self._standings))  # under the lock: planned from the batch before
            for event in events:
                plan.add(event)
            plan.release_held()
            prepared = _prepare(annex, events)
            try:
                async with self._db.session() as session, session.begin():
                    if self.fence is not None:
                        await self.fence(session)
                    await _write(session, plan)
                    if annex is not None and prepared is not None:
                        await annex.write(session, prepared)
            except Exception:
                logger.debug("failed to record a batch of %d events; nothing of it was stored", len(events))
                raise
            if annex is not None and prepared is not None:
                try:
                    annex.committed(prepared)
                except Exception:  # the batch is stored: never make it look unstored (it would be written twice)
                    logger.exception("the recorder's annex failed after a batch was stored")
            self._standings = plan.standings  # only once stored: a refused batch is planned again from the same state
        self._fills_persisted += len(plan.fills)
        logger.debug(
            "recorded %d events (%d fills, %d ticks) in %.1f ms",
            len(events),
            len(plan.fills),
            len(plan.ticks),
            (time.perf_counter() - started) * 1000,
        )


def _prepare(annex: Annex | None, events: Sequence[Event]) -> Any:
    """The annex's rows for a batch; None (the batch is stored without them) if it fails: a bug
    there must not stop the record."""
    if annex is None:
        return None
    try:
        return annex.prepare(events)
    except Exception:
        logger.exception("the recorder's annex failed on a batch; the batch is stored without it")
        return None


async def _write(session: AsyncSession, plan: _Plan) -> None:
    # Parents first so foreign keys hold; one executemany per table.
    parents: tuple[tuple[type[SQLModel], list[rows.Row]], ...] = (
        (CompetitionRow, list(plan.competitions.values())),
        (EntrantRow, plan.entrants),
    )
    for model, batch in parents:
        if batch:
            await session.exec(insert(_table(model)), params=batch)
    bulk: tuple[tuple[type[SQLModel], list[rows.Row]], ...] = (
        (PriceTickRow, plan.ticks),
        (FillRow, plan.fills),
        (RejectionRow, plan.rejections),
        (DecisionRow, plan.decisions),
    )
    for model, batch in bulk:
        if batch:
            await bulk_write(session, insert(_table(model)), _table(model), batch)
    if plan.equity:
        dialect = session.get_bind().dialect.name
        await bulk_write(session, _equity_upsert(dialect), _table(EquityRow), list(plan.equity.values()))
    for competition_id, patch in plan.patches.items():
        await _patch_competition(session, competition_id, patch)


def _equity_upsert(dialect: str) -> Any:
    table = _table(EquityRow)
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    keep = set(_EQUITY_KEY) | {"at"}
    return statement.on_conflict_do_update(
        index_elements=list(_EQUITY_KEY),
        set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keep},
    )


async def _patch_competition(session: AsyncSession, competition_id: str, patch: _CompetitionPatch) -> None:
    table = _table(CompetitionRow)
    values = dict(patch.values)
    if patch.started_at is not None:
        values["started_at"] = func.coalesce(table.c.started_at, literal(patch.started_at, UTCDateTime()))
    result = await session.exec(update(table).where(table.c.id == competition_id).values(**values))
    if result.rowcount != 1:
        raise RecordError(f"unknown competition {competition_id!r}")

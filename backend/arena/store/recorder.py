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
from typing import Any, Protocol

from sqlalchemy import Table, bindparam, func, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from arena.domain.events import AgentSnapshot, Event
from arena.store.bulk import Write, rows_write, single_write, values_write
from arena.store.columns import UTCDateTime
from arena.store.db import Database
from arena.store.errors import RecordError
from arena.store.plan import EQUITY_COLUMNS, TICK_COLUMNS, BatchPlan, CompetitionPatch, Row
from arena.store.tables import (
    CompetitionRow,
    DecisionRow,
    EntrantRow,
    EquityRow,
    FillRow,
    PriceTickRow,
    RejectionRow,
)
from arena.store.writer import WriterError, WriterProcess

logger = logging.getLogger(__name__)

_EQUITY_KEY = ("agent_id", "round")


def _table(model: Any) -> Table:
    return model.__table__  # type: ignore[no-any-return]  # SQLModel declares it untyped


class Annex(Protocol):
    """Rows derived from a batch that must be stored in the batch's own transaction (fired alerts):
    `prepare` before it (no side effects), `write` in it, `committed` once it is stored."""

    def prepare(self, events: Sequence[Event]) -> Any: ...

    async def write(self, session: AsyncSession, prepared: Any) -> None: ...

    def committed(self, prepared: Any) -> None: ...


class Recorder:
    """Writes event batches to the database, one transaction per batch.

    With a `writer` (an SQLite file; a backtest, with nothing else to write in a batch's
    transaction: no annex, no fence), the transactions are committed by that process of their own
    (`arena.store.writer`); otherwise through this process's own connection."""

    def __init__(self, db: Database, annex: Annex | None = None, *, writer: WriterProcess | None = None) -> None:
        if writer is not None and (annex is not None or not db.is_sqlite):
            raise ValueError("a writer process takes the batches of an SQLite file with no annex")
        self._db = db
        self.annex = annex
        self.writer = writer
        # checked first in every batch's transaction (the engine lease's, on PostgreSQL): raising refuses the batch
        self.fence: Callable[[AsyncSession], Awaitable[None]] | None = None
        self._lock = asyncio.Lock()  # one writer per process; SQLite serializes writers anyway
        self._fills_persisted = 0
        self._standings: dict[str, AgentSnapshot] = {}  # agent id -> its standing in the latest stored round

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
            plan = BatchPlan(dict(self._standings))  # under the lock: planned from the batch before
            for event in events:
                plan.add(event)
            plan.release_held()
            prepared = _prepare(annex, events)
            writes = render(plan, self._db.engine.dialect)
            try:
                if self.writer is not None and self.fence is None:
                    await self._write_elsewhere(self.writer, writes)
                else:
                    async with self._db.session() as session, session.begin():
                        if self.fence is not None:
                            await self.fence(session)
                        await execute(await session.connection(), writes)
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

    async def _write_elsewhere(self, writer: WriterProcess, writes: list[Write]) -> None:
        try:
            await writer.write([(w.sql, w.params, w.single, w.refusal) for w in writes])
        except WriterError as exc:
            raise RecordError(str(exc)) from None
        self._db.note_external_commit()  # reads of this process before it are outdated now


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


def render(plan: BatchPlan, dialect: Any) -> list[Write]:
    """Every statement of a batch, in the order they run: parents first, so foreign keys hold;
    one executemany per table."""
    writes: list[Write] = []
    parents: tuple[tuple[type[SQLModel], list[Row]], ...] = (
        (CompetitionRow, list(plan.competitions.values())),
        (EntrantRow, plan.entrants),
    )
    for model, rows in parents:
        if rows:
            writes.append(rows_write(insert(_table(model)), _table(model), rows, dialect))
    if plan.ticks:
        ticks = _table(PriceTickRow)
        writes.append(values_write(insert(ticks), ticks, TICK_COLUMNS, plan.ticks, dialect))
    children: tuple[tuple[type[SQLModel], list[Row]], ...] = (
        (FillRow, plan.fills),
        (RejectionRow, plan.rejections),
        (DecisionRow, plan.decisions),
    )
    for model, rows in children:
        if rows:
            writes.append(rows_write(insert(_table(model)), _table(model), rows, dialect))
    if plan.equity:
        equity = _table(EquityRow)
        standings = list(plan.equity.values())
        writes.append(values_write(_equity_upsert(dialect.name), equity, EQUITY_COLUMNS, standings, dialect))
    for competition_id, patch in plan.patches.items():
        writes.append(_patch_write(competition_id, patch, dialect))
    return writes


async def execute(connection: AsyncConnection, writes: list[Write]) -> None:
    """Run a batch's statements on `connection`, in its transaction."""
    for write in writes:
        if write.single:
            result = await connection.exec_driver_sql(write.sql, write.params[0])
            if result.rowcount != 1:
                raise RecordError(write.refusal)
        else:
            await connection.exec_driver_sql(write.sql, write.params)


def _equity_upsert(dialect: str) -> Any:
    table = _table(EquityRow)
    statement = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)
    keep = set(_EQUITY_KEY) | {"at"}
    return statement.on_conflict_do_update(
        index_elements=list(_EQUITY_KEY),
        set_={c.name: statement.excluded[c.name] for c in table.columns if c.name not in keep},
    )


def _patch_write(competition_id: str, patch: CompetitionPatch, dialect: Any) -> Write:
    """UPDATE competition SET <the patch's values> [, started_at = COALESCE(started_at, <its start>)]
    WHERE id = <competition_id>: it must change the one row (an unknown competition refuses the batch)."""
    table = _table(CompetitionRow)
    names = tuple(sorted(patch.values))
    values: dict[str, Any] = {name: bindparam(f"set_{name}", type_=table.c[name].type) for name in names}
    params: dict[str, Any] = {f"set_{name}": patch.values[name] for name in names}
    if patch.started_at is not None:
        values["started_at"] = func.coalesce(table.c.started_at, bindparam("first_start", type_=UTCDateTime()))
        params["first_start"] = patch.started_at
    params["competition_id"] = competition_id
    statement = update(table).where(table.c.id == bindparam("competition_id")).values(values)
    shape = ("competition patch", names, patch.started_at is not None)
    return single_write(statement, shape, params, dialect, f"unknown competition {competition_id!r}")

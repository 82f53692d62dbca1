"""Copying a finished run from its own SQLite file into the arena's database, whole or not at all.

The sweep's parent process is the arena database's one writer: each worker records into a file of
its own, and this copies that file's rows over in one transaction per run (ATTACH, then one
INSERT ... SELECT per table). Integer keys that the database assigns (trade ids, tick ids) are
left to the target, so a run's fills take the next trade ids there; text keys (competition and
agent ids, random per run) are copied as they are.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlalchemy import Integer, Table

from arena.store.db import BUSY_TIMEOUT_MS
from arena.store.errors import StoreError
from arena.store.tables import (
    CompetitionRow,
    DecisionRow,
    EntrantRow,
    EquityRow,
    FillRow,
    PriceTickRow,
    RejectionRow,
)

# parents before the rows that point at them (the foreign keys are checked)
_TABLES: tuple[Any, ...] = (CompetitionRow, EntrantRow, EquityRow, FillRow, PriceTickRow, RejectionRow, DecisionRow)
_SOURCE = "run"

logger = logging.getLogger(__name__)


def _copy_statement(table: Table) -> str:
    keys = list(table.primary_key.columns)
    assigned = keys[0].name if len(keys) == 1 and isinstance(keys[0].type, Integer) else None
    # columns by name: a database upgraded from an older schema may order them differently
    names = ", ".join(f'"{c.name}"' for c in table.columns if c.name != assigned)
    order = f' ORDER BY "{assigned}"' if assigned else ""  # keeps the run's own order in the new ids
    return f'INSERT INTO main."{table.name}" ({names}) SELECT {names} FROM {_SOURCE}."{table.name}"{order}'


_STATEMENTS = tuple(_copy_statement(model.__table__) for model in _TABLES)


class Merger:
    """One connection to the arena's database (migrated already), taking one run file at a time."""

    def __init__(self, target: Path) -> None:
        self._connection = sqlite3.connect(target, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        self._connection.execute("PRAGMA foreign_keys=ON")

    def __enter__(self) -> Merger:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._connection.close()

    def copy_run(self, source: Path) -> int:
        """Copy every row of the run file `source`; returns how many rows were copied."""
        db = self._connection
        try:
            db.execute(f"ATTACH DATABASE ? AS {_SOURCE}", (str(source),))
        except sqlite3.Error as exc:
            raise StoreError(f"could not open the run file {source.name}: {exc}") from exc
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                copied = sum(db.execute(statement).rowcount for statement in _STATEMENTS)
            except BaseException:
                if db.in_transaction:  # SQLite may have rolled back already (a full disk): keep its error
                    db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            raise StoreError(f"could not copy the run in {source.name} into the database: {exc}") from exc
        finally:
            try:
                db.execute(f"DETACH DATABASE {_SOURCE}")
            except sqlite3.Error:
                logger.warning("could not detach the run file %s", source.name)
        return copied

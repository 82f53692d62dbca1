"""Bringing a database's schema to the code's: Alembic revisions, applied when the store opens.

A database made before the arena had migrations (its tables, no `alembic_version`) is taken to
be at the baseline and upgraded from there, so users keep their history. A database at a
revision this code does not know (made by a newer arena) is refused, untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from arena.store.errors import StoreError

logger = logging.getLogger(__name__)

T = TypeVar("T")

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
MIGRATION_LOCK = 0x41524D47  # PostgreSQL advisory lock held while a migration runs ("arena migrate")
_BASELINE_TABLES = frozenset({"competition", "entrant", "fill", "equity", "price_tick", "rejection", "bot"})


@dataclass(frozen=True, slots=True)
class SchemaVersion:
    before: str | None  # None: a new, empty database
    after: str

    @property
    def upgraded(self) -> bool:
        return self.before != self.after


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def upgrade(engine: AsyncEngine, revision: str = "head") -> SchemaVersion:
    return await _migrating(engine, lambda c: _upgrade(c, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Take the schema back to `revision` (what a revision's `downgrade` does; for going back a version)."""
    await _migrating(engine, lambda c: command.downgrade(alembic_config(c), revision))


async def _migrating(engine: AsyncEngine, step: Callable[[Connection], T]) -> T:
    async with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            return await connection.run_sync(_in_one_sqlite_transaction, step)
        async with connection.begin():
            # engines and API replicas starting together: one migrates, the others wait, then find it done
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            return await connection.run_sync(step)


def _in_one_sqlite_transaction(connection: Connection, step: Callable[[Connection], T]) -> T:
    """Run `step` in one transaction, DDL included, with the foreign keys checked at the end.

    The sqlite3 module opens transactions only before DML (DDL before it would commit at once),
    so this connection issues its own BEGIN and COMMIT. Foreign keys are off meanwhile: batch
    mode rebuilds tables (copy, drop, rename), which the checks would refuse half-way; they are
    checked once at the end instead, and any violation rolls the whole migration back.
    """
    dbapi = connection.connection.dbapi_connection
    assert dbapi is not None
    previous = dbapi.isolation_level
    dbapi.isolation_level = None
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # outside a transaction: inside one SQLite ignores it
    try:
        connection.exec_driver_sql("BEGIN")
        try:
            result = step(connection)
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StoreError(f"the migration would break {len(broken)} foreign keys, the first {broken[0]}")
            connection.exec_driver_sql("COMMIT")
        except BaseException:
            connection.exec_driver_sql("ROLLBACK")
            raise
        return result
    finally:
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        dbapi.isolation_level = previous


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


def _upgrade(connection: Connection, revision: str) -> SchemaVersion:
    config = alembic_config(connection)
    script = ScriptDirectory.from_config(config)
    before = MigrationContext.configure(connection).get_current_revision()
    tables = set(inspect(connection).get_table_names())
    if before is None and tables & _BASELINE_TABLES:
        missing = _BASELINE_TABLES - tables
        if missing:
            raise StoreError(
                f"the database has some of the arena's tables but not {', '.join(sorted(missing))}: it was made "
                "by an early development version that no migration starts from; use a new database file"
            )
        logger.info("database made before migrations: taking it as revision %s", BASELINE)
        command.stamp(config, BASELINE)
        before = BASELINE
    if before is not None and before not in {s.revision for s in script.walk_revisions()}:
        raise StoreError(
            f"the database is at schema revision {before!r}, which this version of the arena does not know "
            f"(its newest is {script.get_current_head()!r}): it was written by a newer arena; run that one"
        )
    command.upgrade(config, revision)
    after = MigrationContext.configure(connection).get_current_revision()
    assert after is not None
    if before is None:
        logger.info("new database: schema created at revision %s", after)
    elif before != after:
        logger.info("database schema upgraded from revision %s to %s", before, after)
    return SchemaVersion(before, after)

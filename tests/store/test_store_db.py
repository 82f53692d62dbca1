from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from arena.store.db import Database
from tests.store.store_builders import OpenDb


async def _pragma(db: Database, name: str) -> object:
    async with db.engine.connect() as connection:
        return (await connection.execute(text(f"PRAGMA {name}"))).scalar()


async def test_from_path_creates_folders_and_turns_on_wal(open_db: OpenDb, db_path: Path) -> None:
    assert not db_path.parent.exists()
    db = await open_db()
    assert db_path.exists()
    await db.close()
    reopened = await open_db()
    assert await _pragma(reopened, "journal_mode") == "wal"
    assert await _pragma(reopened, "foreign_keys") == 1
    assert await _pragma(reopened, "synchronous") == 1  # NORMAL
    assert await _pragma(reopened, "busy_timeout") == 5000


async def test_init_is_idempotent_and_creates_every_table(db: Database) -> None:
    await db.init()
    async with db.engine.connect() as connection:
        names = (await connection.execute(text("SELECT name FROM sqlite_master WHERE type='table'"))).scalars()
        assert {"competition", "entrant", "fill", "equity", "price_tick", "rejection"} <= set(names)


async def test_plain_sqlite_url_uses_aiosqlite(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'u.db'}")
    try:
        assert db.url.drivername == "sqlite+aiosqlite"
        await db.init()
        assert await db.ping()
    finally:
        await db.close()


def test_other_databases_are_refused() -> None:
    with pytest.raises(ValueError):
        Database("postgresql://localhost/arena")


async def test_in_memory_database_is_shared_between_sessions() -> None:
    db = Database("sqlite+aiosqlite:///:memory:")
    try:
        await db.init()
        async with db.session() as session:
            tables = (await session.exec(text("SELECT count(*) FROM sqlite_master"))).scalar()  # type: ignore[call-overload]
        assert tables
    finally:
        await db.close()


async def test_ping_is_false_when_the_file_cannot_be_opened(tmp_path: Path) -> None:
    db = Database(tmp_path)  # a directory, not a database file
    try:
        assert not await db.ping()
    finally:
        await db.close()

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from arena.store.db import Database
from tests.store.store_builders import OpenDb


async def _pragma(db: Database, name: str) -> object:
    async with db.engine.connect() as connection:
        return (await connection.execute(text(f"PRAGMA {name}"))).scalar()


async def test_from_path_creates_folders_and_turns_on_wal(db_path: Path) -> None:
    assert not db_path.parent.exists()
    db = Database.from_path(db_path)
    await db.init()
    assert db_path.exists()
    await db.close()
    reopened = Database.from_path(db_path)
    try:
        assert await _pragma(reopened, "journal_mode") == "wal"
        assert await _pragma(reopened, "foreign_keys") == 1
        assert await _pragma(reopened, "synchronous") == 1  # NORMAL
        assert await _pragma(reopened, "busy_timeout") == 5000
    finally:
        await reopened.close()


async def test_init_is_idempotent_and_creates_every_table(open_db: OpenDb) -> None:
    db = await open_db()
    await db.init()
    again = await open_db()
    assert again.dialect == db.dialect
    async with again.engine.connect() as connection:
        names = await connection.run_sync(lambda c: inspect(c).get_table_names())
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
    with pytest.raises(ValueError, match="unsupported database 'mysql'"):
        Database("mysql://localhost/arena")


@pytest.mark.parametrize("scheme", ["postgresql", "postgres", "postgresql+asyncpg"])
def test_postgresql_urls_use_asyncpg_and_never_show_the_password(scheme: str) -> None:
    db = Database(f"{scheme}://arena:s3cret@db.example:5432/arena")
    assert db.url.drivername == "postgresql+asyncpg"
    assert db.dialect == "postgresql" and not db.is_sqlite
    assert "s3cret" not in db.display and "s3cret" not in repr(db)


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

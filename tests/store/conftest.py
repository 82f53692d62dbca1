"""Store fixtures: a real SQLite file per test, reopened from disk where a test needs it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from arena.store.db import Database
from tests.store.store_builders import OpenDb


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "arena.db"


@pytest.fixture
async def open_db(db_path: Path) -> AsyncIterator[OpenDb]:
    """Opens (and initializes) a fresh Database on the same file; all are closed at teardown."""
    opened: list[Database] = []

    async def _open() -> Database:
        database = Database.from_path(db_path)
        opened.append(database)
        await database.init()
        return database

    yield _open
    for database in opened:
        await database.close()


@pytest.fixture
async def db(open_db: OpenDb) -> Database:
    return await open_db()

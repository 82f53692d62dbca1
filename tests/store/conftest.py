"""Store fixtures: every store test runs on a real SQLite file and on a real PostgreSQL database
(`store_url`); a database is reopened from the same place where a test needs it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from arena.store.db import Database
from tests.store.store_builders import OpenDb


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "arena.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, db_path: Path) -> str:
    if request.param == "sqlite":
        return str(db_path)
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
async def open_db(store_url: str) -> AsyncIterator[OpenDb]:
    """Opens (and initializes) a fresh Database on the same file or server; all are closed at teardown."""
    opened: list[Database] = []

    async def _open() -> Database:
        database = Database.open(store_url)
        opened.append(database)
        await database.init()
        return database

    yield _open
    for database in opened:
        await database.close()


@pytest.fixture
async def db(open_db: OpenDb) -> Database:
    return await open_db()

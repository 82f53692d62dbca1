"""Schema migrations: the tables the code declares are the head revision's, and users keep their history.

`data/legacy_v0.sql` is a database written by the arena before it had migrations (no
alembic_version); opening it must upgrade it to head with every row intact and the new
columns filled in, and the app must read it back.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

from arena.api.types.trades import Trade
from arena.cli import main as cli
from arena.store import competitions, equity, fills, migrate, prices
from arena.store.db import Database
from arena.store.errors import StoreError
from arena.store.recorder import Recorder
from tests.store.store_builders import Ledger, created

LEGACY_SQL = Path(__file__).with_name("data") / "legacy_v0.sql"
SHARED = "657ff059587c"  # traded the shared market feed, with a bot
OWN = "990c3527f0b7"  # owned a simulated feed
TABLES = ("competition", "entrant", "fill", "equity", "price_tick", "rejection", "bot")


def legacy_database(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.executescript(LEGACY_SQL.read_text())
    return path


def rows(path: Path, sql: str, *args: object) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(path) as conn:
        return conn.execute(sql, args).fetchall()


def snapshot(path: Path) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    """Every row of every table, in a stable order, with the columns the baseline had."""
    out = {}
    with sqlite3.connect(path) as conn:
        for table in TABLES:
            columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
            out[table] = (columns, sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr))
    return out


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_the_declared_tables_are_the_head_revision(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    db = Database.open(tmp_path / "new.db" if backend == "sqlite" else request.getfixturevalue("postgres_url"))
    try:
        await db.init()
        async with db.engine.connect() as connection:
            differences = await connection.run_sync(
                lambda c: compare_metadata(
                    MigrationContext.configure(c, opts={"compare_type": True}), SQLModel.metadata
                )
            )
    finally:
        await db.close()
    assert differences == [], "a table change without its Alembic revision (arena/store/migrations/versions)"


async def test_a_database_from_before_migrations_upgrades_with_its_history_intact(tmp_path: Path) -> None:
    path = legacy_database(tmp_path / "legacy.db")
    before = snapshot(path)
    assert not rows(path, "SELECT name FROM sqlite_master WHERE name = 'alembic_version'")

    db = Database.from_path(path)
    try:
        version = await db.init()
        assert (version.before, version.after) == ("0001", migrate.head_revision())
        # the app reads the old history through the new schema
        row = await competitions.get_competition(db, SHARED)
        assert row is not None and row.status == "STOPPED" and row.round == 74 and row.feed_id is None
        own = await competitions.get_competition(db, OWN)
        assert own is not None and own.feed_id == f"competition:{OWN}"
        trades = [Trade.from_row(r) for r in await fills.list_fills(db, competition_id=SHARED, limit=500)]
        assert {t.agent_name for t in trades} == {"mom", "mr", "oldbot"}
        bot_fill = await fills.fill_by_client_order_id(db, (await _bot_agent(path)), "legacy-0")
        assert bot_fill is not None and (bot_fill.intent.quantity, bot_fill.intent.notional) == (None, None)
        assert bot_fill.replayable_intent.quantity == bot_fill.quantity  # how recovery re-sends it
        standings = await equity.latest_standings(db, OWN)
        assert [s.name for s in standings] and all(s.equity > 0 for s in standings)
        assert [q.symbol for q in await prices.latest_quotes(db, f"competition:{OWN}")] == [
            "BTC-USD",
            "ETH-USD",
            "SOL-USD",
        ]
        assert len(await prices.latest_quotes(db, "legacy:market")) == 3
    finally:
        await db.close()

    after = snapshot(path)
    for table, (columns, old_rows) in before.items():
        new_columns, new_rows = after[table]
        keep = [new_columns.index(c) for c in columns]
        assert sorted((tuple(r[i] for i in keep) for r in new_rows), key=repr) == old_rows, f"{table} changed"
    # the new columns, filled in from what was there
    assert rows(
        path, "SELECT count(*) FROM fill f JOIN entrant e ON e.id = f.agent_id WHERE f.agent_name = e.name"
    ) == rows(path, "SELECT count(*) FROM fill")
    assert rows(
        path, "SELECT count(*) FROM fill WHERE requested_quantity IS NOT NULL OR requested_notional IS NOT NULL"
    ) == [(0,)]
    assert dict(rows(path, "SELECT feed_id, count(*) FROM price_tick GROUP BY feed_id")).keys() == {
        f"competition:{OWN}",
        "legacy:market",
    }
    assert rows(
        path, "SELECT count(*) FROM price_tick WHERE competition_id = ? AND feed_id != ?", OWN, f"competition:{OWN}"
    ) == [(0,)]
    indexes = {name for (name,) in rows(path, "SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"ix_price_tick_feed_symbol_timestamp", "ix_fill_agent_client_order"} <= indexes
    assert "ix_price_tick_symbol_timestamp" not in indexes


async def test_trade_ids_are_never_reused_after_the_upgrade(tmp_path: Path) -> None:
    path = legacy_database(tmp_path / "legacy.db")
    [(last_id,)] = rows(path, "SELECT max(id) FROM fill")
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM fill WHERE id = ?", (last_id,))  # AUTOINCREMENT must still skip this id
    db = Database.from_path(path)
    await db.init()
    await db.close()
    with sqlite3.connect(path) as conn:
        agent, name = conn.execute("SELECT id, name FROM entrant WHERE competition_id = ?", (OWN,)).fetchone()
        conn.execute(
            "INSERT INTO fill (competition_id, agent_id, agent_name, seq, symbol, side, quantity, price, fee, "
            "realized_pnl, round, executed_at) VALUES (?, ?, ?, 9999, 'BTC-USD', 'BUY', '1', '1', '0', '0', 1, 0)",
            (OWN, agent, name),
        )
        [(new_id,)] = conn.execute("SELECT max(id) FROM fill").fetchall()
    assert new_id == last_id + 1


async def test_opening_twice_changes_nothing(tmp_path: Path) -> None:
    path = legacy_database(tmp_path / "legacy.db")
    db = Database.from_path(path)
    try:
        await db.init()
        once = snapshot(path)
        again = await db.init()
        assert not again.upgraded and snapshot(path) == once
    finally:
        await db.close()


async def test_a_database_from_a_newer_arena_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    db = Database.from_path(path)
    await db.init()
    await db.close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    before = snapshot(path)
    db = Database.from_path(path)
    try:
        with pytest.raises(StoreError, match=r"'9999'.*newer arena"):
            await db.init()
    finally:
        await db.close()
    assert snapshot(path) == before


def test_the_cli_upgrades_and_reports_the_revision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = legacy_database(tmp_path / "legacy.db")
    assert cli(["db", "current", "--db", str(path)]) == 0
    assert "(none)" in capsys.readouterr().out
    assert cli(["db", "upgrade", "--db", str(path)]) == 0
    assert migrate.head_revision() in capsys.readouterr().out
    assert cli(["db", "current", "--db", str(path)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert rows(path, "SELECT count(*) FROM competition") == [(2,)]


async def _bot_agent(path: Path) -> str:
    [(agent,)] = rows(path, "SELECT id FROM entrant WHERE kind = 'BOT'")
    return str(agent)


async def test_downgrading_to_the_baseline_and_back_keeps_every_row(tmp_path: Path) -> None:
    path = legacy_database(tmp_path / "legacy.db")
    before = snapshot(path)
    db = Database.from_path(path)
    try:
        await db.init()
        upgraded = snapshot(path)
        await migrate.downgrade(db.engine, migrate.BASELINE)
        assert snapshot(path) == before
        await db.init()
        assert snapshot(path) == upgraded
    finally:
        await db.close()


async def test_postgresql_goes_down_to_the_baseline_and_back_up_with_its_rows(postgres_url: str) -> None:
    db = Database.open(postgres_url)
    try:
        await db.init()
        await Recorder(db).record(
            [birth := created("c1"), *Ledger("c1", [e.agent_id for e in birth.entrants]).fills(5)]
        )
        before = await fills.list_fills(db, competition_id="c1")
        await migrate.downgrade(db.engine, migrate.BASELINE)
        assert await migrate.current_revision(db.engine) == migrate.BASELINE
        version = await db.init()
        assert version.before == migrate.BASELINE and version.after == migrate.head_revision()
        after = await fills.list_fills(db, competition_id="c1")
        assert [(f.id, f.quantity, f.price) for f in after] == [(f.id, f.quantity, f.price) for f in before]
        assert len(after) == 5
    finally:
        await db.close()


async def test_a_migration_that_fails_half_way_leaves_the_schema_as_it_was(tmp_path: Path) -> None:
    """DDL is inside the migration's transaction: a failure after a CREATE TABLE undoes it."""
    path = legacy_database(tmp_path / "legacy.db")
    before = snapshot(path)
    db = Database.from_path(path)

    def half_way(connection: Connection) -> None:
        connection.exec_driver_sql("ALTER TABLE fill ADD COLUMN half TEXT")
        connection.exec_driver_sql("CREATE TABLE half_way (id INTEGER)")
        raise RuntimeError("the revision fails here")

    try:
        with pytest.raises(RuntimeError, match="fails here"):
            await migrate._migrating(db.engine, half_way)
    finally:
        await db.close()
    assert snapshot(path) == before
    assert not rows(path, "SELECT name FROM sqlite_master WHERE name = 'half_way'")


async def test_a_database_with_only_some_of_the_tables_is_refused(tmp_path: Path) -> None:
    path = legacy_database(tmp_path / "early.db")
    with sqlite3.connect(path) as conn:
        conn.execute("DROP TABLE bot")  # as the earliest development versions made it
    db = Database.from_path(path)
    try:
        with pytest.raises(StoreError, match="not bot"):
            await db.init()
    finally:
        await db.close()
    assert not rows(path, "SELECT name FROM sqlite_master WHERE name = 'alembic_version'")

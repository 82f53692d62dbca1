"""`arena sweep` end to end: the real command in a subprocess, on the first 1,500 bars of the BTC month."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from arena.cli import main
from arena.store.competitions import list_competitions
from arena.store.db import Database
from arena.store.rebuild import rebuild_accounts
from tests.conftest import SHARED_DATA_DIR

BARS = 1_500
GRID = ("--agent", "momentum", "--grid", "fast_window=5,10", "--grid", "slow_window=30,60")
NAMES = {f"sweep momentum fast_window={f} slow_window={s}" for f in (5, 10) for s in (30, 60)}


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first BARS bars of the recorded month, written to a temporary file (never into the repo)."""
    source = SHARED_DATA_DIR / "btc-perp-2022-01_1m.csv"
    if not source.is_file():
        pytest.skip(f"recorded market data not found at {SHARED_DATA_DIR} (../shared/data beside the project)")
    with source.open(encoding="utf-8") as lines:
        head = [next(lines) for _ in range(BARS + 1)]
    path = tmp_path_factory.mktemp("replay") / "btc-head.csv"
    path.write_text("".join(head), encoding="utf-8")
    return path


def sweep(replay: Path, *args: str, default_db: Path) -> subprocess.CompletedProcess[str]:
    """`arena sweep` as a user runs it; the server's default database is `default_db`."""
    command = [sys.executable, "-m", "arena.cli", "--log-level", "warning", "sweep", "--feed", f"replay:{replay}"]
    env = {**os.environ, "ARENA_DB": str(default_db)}
    done = subprocess.run([*command, *GRID, *args], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def table_of(stdout: str) -> list[str]:
    """The ranked table: from its header to the blank line after it."""
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("#"))
    end = lines.index("", start)
    return lines[start:end]


@pytest.fixture(scope="module")
def stored(replay: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], dict[str, object]]:
    where = tmp_path_factory.mktemp("stored")
    db, results = where / "arena.db", where / "sweep.json"
    done = sweep(replay, "--workers", "2", "--db", str(db), "--json", str(results), default_db=where / "unused.db")
    assert not (where / "unused.db").exists()
    return db, table_of(done.stdout), json.loads(results.read_text(encoding="utf-8"))


def test_the_table_ranks_every_combination_by_return(stored):
    _, table, results = stored
    header, rule, *rows = table
    assert header.split() == [
        "#",
        "fast_window",
        "slow_window",
        "return",
        "%",
        "Sharpe",
        "max",
        "DD",
        "%",
        "trades",
        "win",
        "%",
    ]
    assert set(rule) == {"-", " "}
    assert [row.split()[0] for row in rows] == ["1", "2", "3", "4"]
    assert {(row.split()[1], row.split()[2]) for row in rows} == {(f, s) for f in ("5", "10") for s in ("30", "60")}
    returns = [run["return_pct"] for run in results["runs"]]
    assert returns == sorted(returns, reverse=True)
    assert [f"{r:+.2f}" for r in returns] == [row.split()[3] for row in rows]
    assert [run["rank"] for run in results["runs"]] == [1, 2, 3, 4]


def test_every_run_is_stored_as_a_finished_competition_with_its_fills_and_equity(stored):
    db, table, results = stored
    trades = {(row.split()[1], row.split()[2]): int(row.split()[6]) for row in table[2:]}
    with sqlite3.connect(db) as conn:
        competitions = conn.execute("select id, name, status, round from competition").fetchall()
        assert {name for _, name, _, _ in competitions} == NAMES
        for competition_id, name, status, rounds in competitions:
            assert (status, rounds) == ("FINISHED", BARS)
            fast, slow = (part.split("=")[1] for part in name.split()[2:])
            (fills,) = conn.execute("select count(*) from fill where competition_id = ?", (competition_id,)).fetchone()
            assert fills == trades[(fast, slow)] > 0
            count = "select count(*) from price_tick where competition_id = ?"
            assert conn.execute(count, (competition_id,)).fetchone() == (BARS,)
            # one agent: a row where its standing changed, and always the first and the last round
            span = "select min(round), max(round), count(*) from equity where competition_id = ?"
            first, last, rows = conn.execute(span, (competition_id,)).fetchone()
            assert (first, last) == (1, BARS) and fills < rows <= BARS
            params = conn.execute("select params_json from entrant where competition_id = ?", (competition_id,))
            assert json.loads(params.fetchone()[0])["fast_window"] == int(fast)
        # trade ids are the database's: one sequence over all runs, without gaps or repeats
        ids = [i for (i,) in conn.execute("select id from fill order by id")]
        assert ids == list(range(1, len(ids) + 1))
        final_cash = dict(conn.execute("select competition_id, cash from equity where round = ?", (BARS,)).fetchall())
    assert {run["competition_id"] for run in results["runs"]} == {c[0] for c in competitions}

    async def rebuilt_cash() -> dict[str, str]:
        database = Database.open(db)
        try:
            # what the dashboard's History lists (the `competitions` query)
            assert {row.name for row in await list_competitions(database)} == NAMES
            rebuilt = {}
            for competition_id in final_cash:
                (account,) = (await rebuild_accounts(database, competition_id)).values()
                rebuilt[competition_id] = str(account.cash)
            return rebuilt
        finally:
            await database.close()

    # the copied ledger replays to the copied standings (CorruptLedgerError otherwise)
    assert asyncio.run(rebuilt_cash()) == final_cash


def test_the_same_sweep_gives_the_same_table_on_one_worker_and_stores_nothing_with_no_db(replay, stored, tmp_path):
    _, table, _ = stored
    default_db = tmp_path / "arena.db"
    done = sweep(replay, "--workers", "1", "--no-db", "--quiet", default_db=default_db)
    assert table_of(done.stdout) == table
    assert "stored" not in done.stdout
    assert "sweep momentum" not in done.stderr  # --quiet: no progress bar
    assert list(tmp_path.iterdir()) == []


def test_a_bad_grid_is_refused_before_anything_runs(tmp_path, capsys):
    db = tmp_path / "arena.db"
    base = ["sweep", "--feed", "sim:3", "--agent", "momentum", "--db", str(db), "--quiet"]
    assert main([*base, "--grid", "fast_window=5,a"]) == 2
    assert capsys.readouterr().err.startswith("error [INVALID_CONFIG]: --grid 'fast_window=5,a': fast_window takes")
    assert main([*base, "--grid", "fast_window=2:14:1", "--grid", "slow_window=20:24:1"]) == 2
    assert "pass --yes" in capsys.readouterr().err
    assert main([*base, "--grid", "fast_window=5", "--workers", "0"]) == 2
    assert "--workers must be 1 or more" in capsys.readouterr().err
    assert not db.exists()


def test_a_bad_replay_file_is_refused_before_anything_runs(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,open,high,low,close,volume\n2022-01-01 00:00:00.000000,1,2,0.5,abc,3\n")
    db = tmp_path / "arena.db"
    assert (
        main(["sweep", "--feed", f"replay:{bad}", "--agent", "momentum", "--grid", "fast_window=5", "--db", str(db)])
        == 2
    )
    err = capsys.readouterr().err
    assert "error [FEED_ERROR]" in err and "bad.csv" in err and "line 2" in err
    assert not db.exists()


def test_a_postgresql_target_is_refused_before_anything_runs(capsys):
    # port 9 (discard) on loopback: were it connected to, the error would be a connection failure
    url = "postgresql+asyncpg://arena@127.0.0.1:9/arena"
    assert (
        main(["sweep", "--feed", "sim:3", "--agent", "momentum", "--grid", "fast_window=5", "--db", url, "--quiet"])
        == 2
    )
    err = capsys.readouterr().err
    assert err.startswith("error [INVALID_CONFIG]: a sweep copies its runs into an SQLite file"), err


def test_a_json_file_that_cannot_be_written_is_refused_before_anything_runs(tmp_path, capsys):
    db = tmp_path / "arena.db"
    base = ["sweep", "--feed", "sim:3", "--agent", "momentum", "--grid", "fast_window=5", "--db", str(db), "--quiet"]
    assert main([*base, "--json", str(tmp_path / "no-such-folder" / "out.json")]) == 2
    assert capsys.readouterr().err.startswith("error [INVALID_CONFIG]: --json ")
    assert main([*base, "--json", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert not db.exists()

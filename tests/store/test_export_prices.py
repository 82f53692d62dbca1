"""`export_prices`: stored ticks written in the replay feed's format, read back by the replay exactly."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from arena.app.export import export_prices
from arena.errors import ArenaError, ErrorCode
from arena.feeds.loader import load_series
from arena.store.db import Database
from arena.store.recorder import Recorder
from tests.store.store_builders import T0, quotes

FEED = "live:coinbase"
SECOND = timedelta(seconds=1)
# three rounds of two symbols, with prices of every digit the exchanges send
ROUNDS = [
    {"BTC-USD": Decimal("64123.45"), "ETH-USD": Decimal("3456.789")},
    {"BTC-USD": Decimal("64124.00000001"), "ETH-USD": Decimal("3455.1")},
    {"BTC-USD": Decimal("64120.5")},  # ETH did not tick: no ETH row
]


async def record_session(db: Database) -> None:
    recorder = Recorder(db)
    await recorder.record(
        [quotes(None, None, T0 + n * SECOND, prices, feed_id=FEED) for n, prices in enumerate(ROUNDS)]
    )
    await recorder.record([quotes(None, None, T0, {"BTC-USD": Decimal("1")}, feed_id="sim:42")])  # another feed


def replayed(path: Path) -> list[tuple[str, Decimal]]:
    series = load_series(path)
    return [(series.symbol, price) for price in series.prices]


async def test_a_directory_gets_a_file_per_symbol_that_the_replay_reads_back_exactly(
    db: Database, tmp_path: Path
) -> None:
    await record_session(db)
    exported = await export_prices(db, tmp_path / "out", feed_id=FEED)
    assert sorted(p.name for p in exported.files.values()) == ["BTC-USD-ticks.csv", "ETH-USD-ticks.csv"]
    assert exported.rows == {"BTC-USD": 3, "ETH-USD": 2}
    assert replayed(exported.files["BTC-USD"]) == [("BTC-USD", r["BTC-USD"]) for r in ROUNDS]
    assert replayed(exported.files["ETH-USD"]) == [("ETH-USD", r["ETH-USD"]) for r in ROUNDS if "ETH-USD" in r]


async def test_bars_gather_the_ticks_of_their_interval(db: Database, tmp_path: Path) -> None:
    await record_session(db)
    exported = await export_prices(db, tmp_path, feed_id=FEED, symbol="BTC-USD", interval=3600)
    lines = exported.files["BTC-USD"].read_text().splitlines()
    assert exported.files["BTC-USD"].name == "BTC-USD-bars.csv"
    assert lines[0] == "timestamp,open,high,low,close,volume"
    assert lines[1].split(",")[1:5] == ["64123.45", "64124.00000001", "64120.5", "64120.5"]
    assert len(lines) == 2


async def test_a_csv_file_takes_one_symbol(db: Database, tmp_path: Path) -> None:
    await record_session(db)
    target = tmp_path / "session" / "ETH-USD-2026-12-01.csv"  # a name the replay reads ETH-USD from
    exported = await export_prices(db, target, feed_id=FEED, symbol="ETH-USD")
    assert exported.files == {"ETH-USD": target}
    assert replayed(target) == [("ETH-USD", Decimal("3456.789")), ("ETH-USD", Decimal("3455.1"))]


async def test_a_csv_file_for_several_symbols_is_refused_and_nothing_is_written(db: Database, tmp_path: Path) -> None:
    await record_session(db)
    target = tmp_path / "session.csv"
    with pytest.raises(ArenaError) as err:
        await export_prices(db, target, feed_id=FEED)
    assert err.value.code is ErrorCode.INVALID_INPUT and "--symbol" in err.value.message
    assert "BTC-USD, ETH-USD" in err.value.message
    assert (
        not target.exists() and [p for p in tmp_path.iterdir() if p.name != "data"] == []
    )  # the database's folder only


async def test_nothing_stored_nothing_written(db: Database, tmp_path: Path) -> None:
    await record_session(db)
    exported = await export_prices(db, tmp_path / "none", feed_id="live:kraken")
    assert exported.files == {} and not (tmp_path / "none").exists()

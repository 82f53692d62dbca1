"""Replaying every recorded format in ../shared/data, checked against the files themselves."""

from __future__ import annotations

import bisect
import csv
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest

from arena.feeds.base import FeedKind
from arena.feeds.formats import KNOWN_FORMATS
from arena.feeds.replay import ReplayFeed, load_series

pytestmark = pytest.mark.shared_data


@dataclass(frozen=True)
class Recorded:
    """How the test itself reads one shared file with the csv module."""

    name: str
    symbol: str
    has_header: bool
    time_column: int
    price_column: int
    volume_column: int
    epoch_unit: str | None = None  # "ms" / "us" for epoch timestamps, None for ISO text


RECORDED = [
    Recorded("btc-perp-2022-01_1m.csv", "BTC-PERP", True, 0, 4, 5),
    Recorded("EURUSD-1h-2017.csv", "EURUSD", True, 0, 4, 5),
    Recorded("GOOG-daily-2004-2013.csv", "GOOG", True, 0, 4, 5),
    Recorded("BTCUSD-monthly-2012-2024.csv", "BTCUSD", True, 0, 4, 5),
    Recorded("ADABTC-1m-2021-11-27.binance.csv", "ADABTC", False, 0, 4, 5, epoch_unit="ms"),
    Recorded("bitmex_trades_XBTUSD.csv", "XBTUSD", True, 2, 6, 7, epoch_unit="us"),
]


def data_rows(path: Path, has_header: bool) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle) if row]
    return rows[1:] if has_header else rows


def expected_time(text: str, unit: str | None) -> datetime:
    if unit == "ms":
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(text))
    if unit == "us":
        return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(text))
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def readme_row_counts(folder: Path) -> dict[str, int]:
    """The `rows` column of the README's table, by file name."""
    counts: dict[str, int] = {}
    for line in (folder / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\|\s*`([^`]+)`\s*\|[^|]*\|\s*([\d,]+)\s*\|", line)
        if match:
            counts[match.group(1)] = int(match.group(2).replace(",", ""))
    return counts


@pytest.mark.parametrize("recorded", RECORDED, ids=lambda r: r.name)
def test_each_file_loads_as_its_readme_and_its_rows_say(shared_data: Path, recorded: Recorded) -> None:
    path = shared_data / recorded.name
    rows = data_rows(path, recorded.has_header)
    series = load_series(path)

    assert len(series) == readme_row_counts(shared_data)[recorded.name] == len(rows)
    assert series.symbol == recorded.symbol
    assert series.prices[0] == Decimal(rows[0][recorded.price_column])
    assert series.prices[-1] == Decimal(rows[-1][recorded.price_column])
    assert series.volumes[0] == Decimal(rows[0][recorded.volume_column])
    assert series.volumes[-1] == Decimal(rows[-1][recorded.volume_column])
    assert series.timestamps[0] == expected_time(rows[0][recorded.time_column], recorded.epoch_unit)
    assert series.timestamps[-1] == expected_time(rows[-1][recorded.time_column], recorded.epoch_unit)
    assert all(t.tzinfo is UTC for t in (series.timestamps[0], series.timestamps[-1]))


def test_every_csv_in_the_folder_is_a_known_format(shared_data: Path) -> None:
    files = sorted(shared_data.glob("*.csv"))
    assert files, f"no csv files in {shared_data}"
    formats = {load_series(path).format_name for path in files}
    assert formats == {f.name for f in KNOWN_FORMATS}


def test_a_symbol_argument_overrides_the_file(shared_data: Path) -> None:
    assert load_series(shared_data / "bitmex_trades_XBTUSD.csv", "BTC-USD").symbol == "BTC-USD"
    assert load_series(shared_data / "GOOG-daily-2004-2013.csv", symbol="GOOGL").symbol == "GOOGL"


def test_a_replay_of_one_file_has_one_batch_per_bar(shared_data: Path) -> None:
    path = shared_data / "EURUSD-1h-2017.csv"
    rows = data_rows(path, has_header=True)
    feed = ReplayFeed([path])
    batches = list(feed.batches())
    assert len(feed) == len(batches) == len(rows)
    assert [b.quotes[0].price for b in batches] == [Decimal(r[4]) for r in rows]
    assert all(len(b.quotes) == 1 and b.quotes[0].timestamp == b.timestamp for b in batches)
    assert feed.info.kind is FeedKind.REPLAY
    assert feed.info.symbols == ("EURUSD",)
    assert feed.info.sources == ("EURUSD-1h-2017.csv",)
    assert feed.info.description == f"Replay of EURUSD-1h-2017.csv ({len(rows):,} bars)"
    assert list(feed.batches()) == batches  # restarts from the beginning


def test_trades_sharing_a_timestamp_are_consecutive_batches(shared_data: Path) -> None:
    path = shared_data / "bitmex_trades_XBTUSD.csv"
    rows = data_rows(path, has_header=True)
    batches = list(ReplayFeed([path]).batches())
    # one batch holds one quote per symbol, so each trade is a round of its own
    assert len(batches) == len(rows)
    assert [b.quotes[0].volume for b in batches] == [Decimal(r[7]) for r in rows]
    assert [b.timestamp for b in batches] == [expected_time(r[2], "us") for r in rows]


def test_files_merge_in_timestamp_order(shared_data: Path) -> None:
    files = {"GOOG-daily-2004-2013.csv": "GOOG", "BTCUSD-monthly-2012-2024.csv": "BTCUSD"}
    stamps = {name: {expected_time(r[0], None) for r in data_rows(shared_data / name, True)} for name in files}
    feed = ReplayFeed([shared_data / name for name in files])
    batches = list(feed.batches())

    assert feed.info.symbols == ("GOOG", "BTCUSD")
    assert [b.timestamp for b in batches] == sorted(set.union(*stamps.values()))
    assert set.intersection(*stamps.values()), "these files overlap in 2012-2013: some month-ends have both"
    for batch in batches:
        # quotes sharing a timestamp are one batch, in the order the files were given
        expected = [symbol for name, symbol in files.items() if batch.timestamp in stamps[name]]
        assert [q.symbol for q in batch.quotes] == expected


def test_all_shared_files_replay_together(shared_data: Path) -> None:
    paths = [shared_data / r.name for r in RECORDED]
    feed = ReplayFeed(paths)
    batches = list(feed.batches())
    assert feed.info.symbols == tuple(r.symbol for r in RECORDED)
    rows = sum(len(data_rows(path, r.has_header)) for path, r in zip(paths, RECORDED, strict=True))
    assert sum(len(b.quotes) for b in batches) == rows
    assert all(a.timestamp <= b.timestamp for a, b in pairwise(batches))
    assert all(len({q.symbol for q in b.quotes}) == len(b.quotes) for b in batches)


def test_change_pct_is_against_the_bar_a_day_earlier(shared_data: Path) -> None:
    series = load_series(shared_data / "btc-perp-2022-01_1m.csv")
    batches = list(ReplayFeed([series.path]).batches())
    for index in (0, 100, 1439, 1440, 1441, 30_000, len(batches) - 1):
        now = series.timestamps[index]
        older = bisect.bisect_right(series.timestamps, now - timedelta(hours=24)) - 1
        reference = series.prices[max(older, 0)]
        expected = (float(series.prices[index]) / float(reference) - 1) * 100
        assert batches[index].quotes[0].change_pct == pytest.approx(expected)


def test_the_big_file_loads_fast(shared_data: Path) -> None:
    started = time.perf_counter()
    feed = ReplayFeed([shared_data / "btc-perp-2022-01_1m.csv"])
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    count = sum(1 for _ in feed.batches())
    iterated = time.perf_counter() - started
    assert count == 45_031
    # typically ~0.3 s and ~1 ms; generous bounds so that only a real regression fails
    assert loaded < 3.0
    assert iterated < 0.5

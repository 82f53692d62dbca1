"""Bars written by a test read back exactly (Decimal from the text, never via float)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.feeds.replay import load_series

PRICES = st.decimals(min_value="0.00000001", max_value="1000000", places=8)


@settings(max_examples=40, deadline=None)
@given(
    bars=st.lists(st.tuples(st.integers(min_value=1, max_value=10**6), PRICES, PRICES), min_size=1, max_size=30),
    indexed=st.booleans(),
)
def test_written_bars_read_back_exactly(
    tmp_path_factory: pytest.TempPathFactory, bars: list[tuple[int, Decimal, Decimal]], indexed: bool
) -> None:
    header = ",Open,High,Low,Close,Volume" if indexed else "timestamp,open,high,low,close,volume"
    now = datetime(2020, 1, 1, tzinfo=UTC)
    lines, times = [header], []
    for gap, price, volume in bars:
        now += timedelta(seconds=gap)
        times.append(now)
        lines.append(f"{now:%Y-%m-%d %H:%M:%S},{price},{price},{price},{price},{volume}")
    path = tmp_path_factory.mktemp("bars") / "XYZ-1m.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    series = load_series(path)
    assert series.symbol == "XYZ"
    assert list(series.timestamps) == times
    assert list(series.prices) == [price for _, price, _ in bars]
    assert list(series.volumes) == [volume for _, _, volume in bars]


def test_timestamp_offsets_are_converted_to_utc(tmp_path: Path) -> None:
    path = tmp_path / "EURUSD-1h.csv"
    path.write_text(
        ",Open,High,Low,Close,Volume\n"
        "2017-04-19 09:00:00+02:00,1,1,1,1.5,10\n"  # 07:00 UTC
        "2017-04-19T08:00:00Z,1,1,1,1.6,10\n"
        "2017-04-19 09:00:00,1,1,1,1.7,10\n"  # no offset: UTC
        "2017-04-20,1,1,1,1.8,0\n",  # a date alone: midnight UTC
        encoding="utf-8",
    )
    series = load_series(path)
    assert series.timestamps == (
        datetime(2017, 4, 19, 7, tzinfo=UTC),
        datetime(2017, 4, 19, 8, tzinfo=UTC),
        datetime(2017, 4, 19, 9, tzinfo=UTC),
        datetime(2017, 4, 20, tzinfo=UTC),
    )
    assert all(t.tzinfo is UTC for t in series.timestamps)


def test_crlf_line_endings_a_bom_and_blank_lines_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "SPY-daily.csv"
    text = "timestamp,open,high,low,close,volume\r\n2020-01-02,1,2,0.5,1.5,100\r\n\r\n"
    text += "2020-01-03,1,2,0.5,1.25,100\r\n\r\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    series = load_series(path)
    assert series.symbol == "SPY"
    assert series.prices == (Decimal("1.5"), Decimal("1.25"))


def test_binance_microsecond_open_times_are_recognised(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT-1m-2025-01-01.csv"
    path.write_text(
        "1735689600000000,93576.00,93610.93,93537.50,93610.93,8.21827,1735689659999999,769013.7,1401,3.6,339185.5,0\n",
        encoding="utf-8",
    )
    series = load_series(path)
    assert series.timestamps == (datetime(2025, 1, 1, tzinfo=UTC),)
    assert series.prices == (Decimal("93610.93"),)

"""Broken recorded files are refused whole, with a message naming the file, the line and the problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from arena.errors import ArenaError, ErrorCode
from arena.feeds.errors import FeedFileError
from arena.feeds.replay import ReplayFeed, load_series
from tests.feeds.conftest import WriteFile

HEADER = "timestamp,open,high,low,close,volume\n"
GOOD_ROWS = "2022-01-01 00:00:00.000000,1.0,2.0,0.5,1.5,10\n2022-01-01 00:01:00.000000,1.5,2.0,1.0,1.75,11\n"


def refused(path: Path, symbol: str | None = None) -> FeedFileError:
    with pytest.raises(FeedFileError) as caught:
        load_series(path, symbol)
    error = caught.value
    assert isinstance(error, FeedFileError) and isinstance(error, ArenaError)
    assert error.code is ErrorCode.FEED_ERROR
    assert str(error).startswith(path.name)
    return error


def test_a_malformed_number_names_the_line_and_column(write_file: WriteFile) -> None:
    path = write_file("btc.csv", HEADER + GOOD_ROWS + "2022-01-01 00:02:00,1,2,0.5,abc,10\n")
    error = refused(path)
    assert error.line == 4
    assert str(error) == "btc.csv line 4: expected a number in column 'close', got 'abc'"


def test_a_malformed_open_high_or_low_is_refused_too(write_file: WriteFile) -> None:
    error = refused(write_file("btc.csv", HEADER + "2022-01-01 00:00:00,1,x2,0.5,1.5,10\n"))
    assert str(error) == "btc.csv line 2: expected a number in column 'high', got 'x2'"


def test_a_bad_number_in_an_unnamed_column_file_uses_the_file_s_names(write_file: WriteFile) -> None:
    error = refused(write_file("GOOG-daily.csv", ",Open,High,Low,Close,Volume\n2004-08-19,100,104,95,1OO,5\n"))
    assert str(error) == "GOOG-daily.csv line 2: expected a number in column 'Close', got '1OO'"


def test_a_wrong_column_count_is_refused(write_file: WriteFile) -> None:
    error = refused(write_file("btc.csv", HEADER + GOOD_ROWS + "2022-01-01 00:02:00,1,2,0.5,1.5\n"))
    assert error.line == 4
    assert "expected 6 columns" in str(error) and "got 5" in str(error)


def test_a_bad_timestamp_is_refused(write_file: WriteFile) -> None:
    error = refused(write_file("btc.csv", HEADER + "01/02/2022 10:00,1,2,0.5,1.5,10\n"))
    assert error.line == 2
    assert "expected a timestamp like 'YYYY-MM-DD HH:MM:SS" in str(error)
    assert "'01/02/2022 10:00'" in str(error)


def test_a_bad_epoch_time_is_refused(write_file: WriteFile) -> None:
    row = "bitmex,XBTUSD,15830208O3145000,1583020803307160,id,sell,8531.5,2152\n"
    error = refused(write_file("trades.csv", "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n" + row))
    assert error.line == 2
    assert "expected an integer epoch time in microseconds" in str(error)


def test_an_unknown_header_lists_the_known_formats(write_file: WriteFile) -> None:
    error = refused(write_file("prices.csv", "date,price\n2022-01-01,1\n"))
    assert error.line == 1
    message = str(error)
    assert "unrecognised format" in message and "'date,price'" in message
    for known in ("timestamp,open,high,low,close,volume", ",Open,High,Low,Close,Volume", "Binance", "Tardis"):
        assert known in message


def test_binance_klines_with_a_missing_column_are_not_recognised(write_file: WriteFile) -> None:
    error = refused(write_file("ADABTC-1m.csv", "1637971200000,0.1,0.1,0.1,0.1,36304.2,1637971259999\n"))
    assert "unrecognised format" in str(error) and "7 columns" in str(error)


@pytest.mark.parametrize("text", ["", "\n\n", "   \n"])
def test_an_empty_file_is_refused(write_file: WriteFile, text: str) -> None:
    error = refused(write_file("empty.csv", text))
    assert error.line == 1
    assert "empty" in str(error)


def test_a_header_without_rows_is_refused(write_file: WriteFile) -> None:
    error = refused(write_file("btc.csv", HEADER))
    assert error.line == 2
    assert "no data rows" in str(error)


def test_backwards_timestamps_are_refused_with_both_lines(write_file: WriteFile) -> None:
    path = write_file("btc.csv", HEADER + GOOD_ROWS + "2022-01-01 00:00:30,1,2,0.5,1.5,10\n")
    error = refused(path)
    assert error.line == 4
    assert "goes backwards" in str(error) and "line 3" in str(error)


def test_a_repeated_bar_timestamp_is_refused(write_file: WriteFile) -> None:
    error = refused(write_file("btc.csv", HEADER + GOOD_ROWS + "2022-01-01 00:01:00,1,2,0.5,1.5,10\n"))
    assert error.line == 4
    assert "repeats" in str(error)


def test_timestamps_compare_in_utc_across_offsets(write_file: WriteFile) -> None:
    # 10:00+02:00 is 08:00 UTC: earlier than the row before, although it reads later
    rows = "2022-01-01 09:00:00+00:00,1,2,0.5,1.5,1\n2022-01-01 10:00:00+02:00,1,2,0.5,1.5,1\n"
    assert "goes backwards" in str(refused(write_file("fx.csv", HEADER + rows)))


@pytest.mark.parametrize("price", ["0", "-1.5", "NaN", "Infinity", "-inf", "sNaN", ""])
def test_non_positive_or_non_finite_prices_are_refused(write_file: WriteFile, price: str) -> None:
    error = refused(write_file("btc.csv", HEADER + f"2022-01-01 00:00:00,1,2,0.5,{price},10\n"))
    assert error.line == 2
    assert "column 'close'" in str(error)
    assert any(word in str(error) for word in ("positive", "finite", "a number"))


def test_a_negative_volume_is_refused(write_file: WriteFile) -> None:
    error = refused(write_file("btc.csv", HEADER + "2022-01-01 00:00:00,1,2,0.5,1.5,-3\n"))
    assert "non-negative volume" in str(error)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path / "nowhere.csv")
    assert error.line is None
    assert "cannot read" in str(error)


def test_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "folder.csv").mkdir()
    assert "cannot read" in str(refused(tmp_path / "folder.csv"))


def test_a_non_utf8_file_names_the_line(write_file: WriteFile) -> None:
    data = (HEADER + GOOD_ROWS).encode() + b"2022-01-01 00:02:00,1,2,0.5,\xff,10\n"
    error = refused(write_file("btc.csv", data=data))
    assert error.line == 4
    assert "UTF-8" in str(error)


def test_a_nul_byte_is_refused(write_file: WriteFile) -> None:
    error = refused(write_file("btc.csv", HEADER + "2022-01-01 00:00:00,1,2,0.5,1.5,1\x00\n"))
    assert error.line == 2


def test_a_tardis_file_mixing_symbols_is_refused(write_file: WriteFile) -> None:
    text = (
        "exchange,symbol,timestamp,local_timestamp,id,side,price,amount\n"
        "bitmex,XBTUSD,1583020803145000,1583020803307160,a,sell,8531.5,2152\n"
        "bitmex,ETHUSD,1583020803276000,1583020803336743,b,sell,231.1,1\n"
    )
    error = refused(write_file("trades.csv", text))
    assert error.line == 3
    assert "'XBTUSD' and 'ETHUSD'" in str(error)


def test_a_name_without_a_symbol_needs_one_given(write_file: WriteFile) -> None:
    path = write_file("2022-01.csv", HEADER + GOOD_ROWS)
    assert "cannot derive a symbol" in str(refused(path))
    assert load_series(path, "BTC").symbol == "BTC"


def test_a_replay_is_all_or_nothing(write_file: WriteFile) -> None:
    good = write_file("btc.csv", HEADER + GOOD_ROWS)
    bad = write_file("eth.csv", HEADER + GOOD_ROWS + "2022-01-01 00:02:00,1,2,0.5,oops,10\n")
    with pytest.raises(FeedFileError, match=r"^eth\.csv line 4: "):
        ReplayFeed([good, bad])


def test_two_files_with_one_symbol_are_refused(write_file: WriteFile) -> None:
    first = write_file("BTC-1m-2022.csv", HEADER + GOOD_ROWS)
    second = write_file("btc_daily.csv", HEADER + GOOD_ROWS)
    with pytest.raises(FeedFileError, match="'BTC'") as caught:
        ReplayFeed([first, second])
    assert "btc_daily.csv" in str(caught.value) and "BTC-1m-2022.csv" in str(caught.value)
    # naming them apart is the way out
    assert ReplayFeed([first, second], ["BTC-A", "BTC-B"]).info.symbols == ("BTC-A", "BTC-B")


def test_a_replay_needs_files_and_one_symbol_per_file(write_file: WriteFile) -> None:
    path = write_file("btc.csv", HEADER + GOOD_ROWS)
    with pytest.raises(ArenaError, match="at least one file"):
        ReplayFeed([])
    with pytest.raises(ArenaError, match="one symbol per file"):
        ReplayFeed([path], ["A", "B"])

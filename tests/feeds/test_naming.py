"""Symbols derived from recorded file names."""

from __future__ import annotations

import pytest

from arena.feeds.naming import symbol_from_filename


@pytest.mark.parametrize(
    ("name", "symbol"),
    [
        ("btc-perp-2022-01_1m.csv", "BTC-PERP"),
        ("EURUSD-1h-2017.csv", "EURUSD"),
        ("GOOG-daily-2004-2013.csv", "GOOG"),
        ("BTCUSD-monthly-2012-2024.csv", "BTCUSD"),
        ("ADABTC-1m-2021-11-27.binance.csv", "ADABTC"),
        ("bitmex_trades_XBTUSD.csv", "BITMEX"),  # (Tardis files take the symbol column instead)
        ("eth_usd.csv", "ETH-USD"),
        ("EURUSD_H1.csv", "EURUSD"),
        ("aapl.csv", "AAPL"),
        ("SOL-USD trades 2024.csv", "SOL-USD"),
    ],
)
def test_the_leading_name_is_the_symbol(name: str, symbol: str) -> None:
    assert symbol_from_filename(name) == symbol


@pytest.mark.parametrize("name", ["2022-01-01.csv", "daily.csv", "1m_bars.csv", ".csv"])
def test_no_leading_name_gives_none(name: str) -> None:
    assert symbol_from_filename(name) is None

"""Deriving a symbol from a recorded file's name."""

from __future__ import annotations

import re

# Segments that describe the data rather than name the instrument.
DESCRIPTIVE_WORDS = frozenset(
    {
        "tick",
        "ticks",
        "trade",
        "trades",
        "quote",
        "quotes",
        "bar",
        "bars",
        "kline",
        "klines",
        "candle",
        "candles",
        "ohlc",
        "ohlcv",
        "intraday",
        "minute",
        "minutes",
        "minutely",
        "hourly",
        "daily",
        "weekly",
        "monthly",
        "quarterly",
        "yearly",
        "annual",
    }
)
_SEPARATORS = re.compile(r"[-_\s]+")
_LETTER_INTERVAL = re.compile(r"[smhdwy]\d+", re.IGNORECASE)  # MetaTrader style: H1, M15, D1


def symbol_from_filename(name: str) -> str | None:
    """The instrument a file name starts with, or None when it starts with no name.

    Rule: drop everything from the first ``.`` (extensions such as
    ``.binance.csv``), split the rest on ``-``, ``_`` and spaces, keep the leading
    segments up to the first one that starts with a digit (a date or an interval
    such as ``1m``), is a letter-first interval (``H1``, ``M15``) or is a
    descriptive word (``daily``, ``monthly``, ``trades``, ...), and join them
    upper-cased with ``-``:

    - ``btc-perp-2022-01_1m.csv`` -> ``BTC-PERP``
    - ``EURUSD-1h-2017.csv`` -> ``EURUSD``
    - ``GOOG-daily-2004-2013.csv`` -> ``GOOG``
    - ``ADABTC-1m-2021-11-27.binance.csv`` -> ``ADABTC``
    """
    stem = name.split(".", 1)[0]
    kept: list[str] = []
    for segment in _SEPARATORS.split(stem):
        if not segment:
            continue
        if segment[0].isdigit() or segment.lower() in DESCRIPTIVE_WORDS or _LETTER_INTERVAL.fullmatch(segment):
            break
        kept.append(segment.upper())
    return "-".join(kept) or None

"""Arena symbols (BASE-QUOTE, e.g. BTC-USD) and the checks every exchange makes on them."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from arena.errors import ArenaError, ErrorCode
from arena.feeds.live.protocol import BadMessage

_SYMBOL = re.compile(r"([A-Z0-9]{2,10})-([A-Z0-9]{2,10})")


def split_symbol(symbol: str, exchange: str, quotes: Collection[str]) -> tuple[str, str]:
    """(base, quote) of an arena symbol the exchange can list; UNKNOWN_SYMBOL otherwise."""
    match = _SYMBOL.fullmatch(symbol)
    if match is None:
        raise ArenaError(
            ErrorCode.UNKNOWN_SYMBOL, f"{symbol!r} is not a symbol like BTC-USD (BASE-QUOTE, upper case)", "feed"
        )
    base, quote = match.groups()
    if quote not in quotes:
        raise ArenaError(
            ErrorCode.UNKNOWN_SYMBOL,
            f"{exchange} has no {symbol}: its symbols are quoted in {', '.join(sorted(quotes))}",
            "feed",
        )
    return base, quote


def load_json(text: str | bytes) -> Any:
    try:  # numbers stay exact; NaN and Infinity are not JSON
        return json.loads(text, parse_float=Decimal, parse_int=Decimal, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError):
        raise BadMessage("malformed_json", f"not JSON: {str(text)[:80]!r}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def field(data: Any, name: str) -> Any:
    if not isinstance(data, dict) or name not in data:
        raise BadMessage("missing_field", f"no {name!r} in {str(data)[:120]}")
    return data[name]


def list_of(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise BadMessage("missing_field", f"{name} is not a list: {str(value)[:120]}")
    return value


def price_of(value: Any, name: str = "price") -> Decimal:
    """An exact, positive price from a JSON string or number (read as Decimal, never as float)."""
    number = decimal_of(value, name)
    if number <= 0:
        raise BadMessage("bad_price", f"{name} must be positive, got {value!r}")
    return number


def decimal_of(value: Any, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, Decimal, int)):
        raise BadMessage("not_a_number", f"{name} is not a number: {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise BadMessage("not_a_number", f"{name} is not a number: {value!r}") from None
    if not number.is_finite():
        raise BadMessage("not_a_number", f"{name} is not finite: {value!r}")
    return number


def percent_of(value: Any, name: str) -> float | None:
    if value is None or value == "":
        return None
    percent = float(decimal_of(value, name))
    if not math.isfinite(percent):  # 1e400 is a finite Decimal but no float
        raise BadMessage("not_a_number", f"{name} is out of range: {value!r}")
    return percent


def iso_time(value: Any, name: str = "timestamp") -> datetime:
    if not isinstance(value, str):
        raise BadMessage("bad_time", f"{name} is not a timestamp: {value!r}")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise BadMessage("bad_time", f"{name} is not a timestamp: {value!r}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def epoch_ms(value: Any, name: str = "time") -> datetime:
    number = decimal_of(value, name)
    if number <= 0:
        raise BadMessage("bad_time", f"{name} is not a time: {value!r}")
    try:
        return datetime.fromtimestamp(float(number) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        raise BadMessage("bad_time", f"{name} is out of range: {value!r}") from None

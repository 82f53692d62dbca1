"""The recorded market-data file formats a replay understands, and how to read their fields.

Known formats (detected from the first non-blank line of a file):

- ``ohlcv``: header ``timestamp,open,high,low,close,volume``; ISO timestamps such as
  ``2021-12-31 23:01:00.000000``.
- ``ohlcv-indexed``: header ``,Open,High,Low,Close,Volume`` (a pandas export: the first
  column is the unnamed timestamp index, e.g. ``2017-04-19 09:00:00`` or ``2004-08-19``).
- ``binance-klines``: Binance's raw 12-column kline export with no header: open time
  (epoch ms), open, high, low, close, volume, close time (ms), quote volume, trades,
  taker base volume, taker quote volume, ignore.
- ``tardis-trades``: header ``exchange,symbol,timestamp,local_timestamp,id,side,price,amount``
  (epoch microseconds); one quote per trade, ``amount`` as its volume.

Header names are matched case-insensitively. ISO timestamps without an offset are
taken as UTC; timestamps with an offset (``+02:00``, ``Z``) are converted to UTC.
A bar's quote is its close at the bar's timestamp; for Binance klines that is the
OPEN time, the same convention as the other bar files (whose timestamps label the
bar's start), so bars of different sources line up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from mypy_extensions import mypyc_attr

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
# Binance switched its spot exports to microseconds in 2025; a 16-digit open time is one of those.
_MICROSECOND_EPOCH_THRESHOLD = 10**15


@mypyc_attr(native_class=False)
class FieldError(ValueError):
    """One field that does not hold what its column should; the message says what was expected."""


def parse_number(text: str, column: str) -> Decimal:
    """The exact decimal written in ``text`` (never via float); finite or `FieldError`."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise FieldError(f"expected a number in column '{column}', got {text!r}") from None
    if not value.is_finite():
        raise FieldError(f"expected a finite number in column '{column}', got {text!r}")
    return value


def parse_iso_timestamp(text: str) -> datetime:
    """``YYYY-MM-DD[ HH:MM[:SS[.ffffff]]][offset]`` as an aware UTC datetime (no offset: UTC)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise FieldError(f"expected a timestamp like 'YYYY-MM-DD HH:MM:SS[.ffffff][+HH:MM]', got {text!r}") from None
    if value.tzinfo is None:
        # the same instant as value.replace(tzinfo=UTC), by arithmetic: `replace` parses its keyword
        # arguments by name, ~20x the cost, once per row of a file
        return EPOCH + (value - _NAIVE_EPOCH)
    return value.astimezone(UTC)


def _parse_epoch(text: str, unit: str) -> datetime:
    digits = text.strip()
    if not digits.isdigit():
        raise FieldError(f"expected an integer epoch time in {unit}, got {text!r}")
    value = int(digits)
    try:
        if unit == "milliseconds" and value >= _MICROSECOND_EPOCH_THRESHOLD:
            return EPOCH + timedelta(microseconds=value)
        if unit == "milliseconds":
            return EPOCH + timedelta(milliseconds=value)
        return EPOCH + timedelta(microseconds=value)
    except OverflowError:
        raise FieldError(f"epoch time {text!r} is out of range") from None


def parse_epoch_ms(text: str) -> datetime:
    """Epoch milliseconds (16-digit values are taken as microseconds) as a UTC datetime."""
    return _parse_epoch(text, "milliseconds")


def parse_epoch_us(text: str) -> datetime:
    """Epoch microseconds as a UTC datetime."""
    return _parse_epoch(text, "microseconds")


@dataclass(frozen=True, slots=True)
class FileFormat:
    """Where one format keeps the fields a quote needs."""

    name: str
    description: str
    columns: tuple[str, ...]  # column names, used in error messages
    time_column: int
    price_column: int
    volume_column: int
    parse_time: Callable[[str], datetime]
    has_header: bool = True
    checked_columns: tuple[int, ...] = ()  # other columns that must hold numbers
    symbol_column: int | None = None
    row_noun: str = "bars"
    allow_repeated_timestamps: bool = False  # trades may share a timestamp; bars may not

    def matches(self, first_row: Sequence[str]) -> bool:
        """Whether a file whose first non-blank line is ``first_row`` has this format."""
        if len(first_row) != len(self.columns):
            return False
        if self.has_header:
            return [cell.strip().lower() for cell in first_row] == [c.lower() for c in self.columns]
        cell = first_row[self.time_column].strip()
        return cell.isdigit()


OHLCV = FileFormat(
    name="ohlcv",
    description="header 'timestamp,open,high,low,close,volume'",
    columns=("timestamp", "open", "high", "low", "close", "volume"),
    time_column=0,
    price_column=4,
    volume_column=5,
    checked_columns=(1, 2, 3),
    parse_time=parse_iso_timestamp,
)

OHLCV_INDEXED = FileFormat(
    name="ohlcv-indexed",
    description="header ',Open,High,Low,Close,Volume' (unnamed timestamp column first)",
    columns=("", "Open", "High", "Low", "Close", "Volume"),
    time_column=0,
    price_column=4,
    volume_column=5,
    checked_columns=(1, 2, 3),
    parse_time=parse_iso_timestamp,
)

BINANCE_KLINES = FileFormat(
    name="binance-klines",
    description="Binance klines: 12 columns, no header, open time in epoch ms first",
    columns=(
        "open time",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "close time",
        "quote volume",
        "trades",
        "taker base volume",
        "taker quote volume",
        "ignore",
    ),
    time_column=0,
    price_column=4,
    volume_column=5,
    checked_columns=(1, 2, 3),
    parse_time=parse_epoch_ms,
    has_header=False,
)

TARDIS_TRADES = FileFormat(
    name="tardis-trades",
    description="Tardis trades: header 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount'",
    columns=("exchange", "symbol", "timestamp", "local_timestamp", "id", "side", "price", "amount"),
    time_column=2,
    price_column=6,
    volume_column=7,
    parse_time=parse_epoch_us,
    symbol_column=1,
    row_noun="trades",
    allow_repeated_timestamps=True,
)

KNOWN_FORMATS: tuple[FileFormat, ...] = (OHLCV, OHLCV_INDEXED, BINANCE_KLINES, TARDIS_TRADES)


def detect_format(first_row: Sequence[str]) -> FileFormat | None:
    """The known format whose header (or, headerless, whose shape) fits ``first_row``."""
    for file_format in KNOWN_FORMATS:
        if file_format.matches(first_row):
            return file_format
    return None


def describe_known_formats() -> str:
    return "; ".join(f"{f.name} ({f.description})" for f in KNOWN_FORMATS)

"""Loading one recorded market-data file, completely and strictly, into a series."""

from __future__ import annotations

import csv
import io
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from arena.feeds.errors import FeedFileError
from arena.feeds.formats import FieldError, FileFormat, describe_known_formats, detect_format, parse_number
from arena.feeds.naming import symbol_from_filename

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReplaySeries:
    """One symbol's recorded prices, in time order (equal timestamps only for trades)."""

    symbol: str
    path: Path
    format_name: str
    row_noun: str  # "bars" or "trades"
    timestamps: tuple[datetime, ...]
    prices: tuple[Decimal, ...]
    volumes: tuple[Decimal, ...]

    @property
    def source(self) -> str:
        return self.path.name

    def __len__(self) -> int:
        return len(self.timestamps)


def load_series(path: str | Path, symbol: str | None = None) -> ReplaySeries:
    """Read and check the whole file, then return its series; any flaw raises `FeedFileError`.

    The symbol is ``symbol`` when given, else the file's symbol column (Tardis
    trades), else derived from the file name (`symbol_from_filename`). The file
    is rejected when it is unreadable, empty, of an unknown format, has a row
    with the wrong number of columns, a field that is not a (finite) number or
    timestamp, a non-positive price, a negative volume, a timestamp earlier than
    the row before (or equal to it, in a bar file), or no data rows.
    """
    path = Path(path)
    started = time.perf_counter()
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    parser: _RowParser | None = None
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if parser is None:
                parser = _RowParser(path.name, _detect(path.name, row, reader.line_num))
                if parser.format.has_header:
                    continue
            parser.add(row, reader.line_num)
    except csv.Error as exc:
        raise FeedFileError(path.name, f"not readable as CSV ({exc})", reader.line_num) from None
    if parser is None:
        raise FeedFileError(path.name, "the file is empty; expected a header line or data rows", 1)
    if not parser.timestamps:
        raise FeedFileError(path.name, "no data rows after the header", reader.line_num + 1)
    series = ReplaySeries(
        symbol=_resolve_symbol(path.name, symbol, parser.file_symbol),
        path=path,
        format_name=parser.format.name,
        row_noun=parser.format.row_noun,
        timestamps=tuple(parser.timestamps),
        prices=tuple(parser.prices),
        volumes=tuple(parser.volumes),
    )
    logger.info(
        "loaded %s: %d %s as %s (%s format) in %.3fs",
        path.name,
        len(series),
        series.row_noun,
        series.symbol,
        series.format_name,
        time.perf_counter() - started,
    )
    return series


class _RowParser:
    """Checks and collects the data rows of one file of a known format."""

    __slots__ = (
        "_previous_line",
        "_previous_text",
        "file_symbol",
        "format",
        "prices",
        "source",
        "timestamps",
        "volumes",
    )

    def __init__(self, source: str, file_format: FileFormat) -> None:
        self.source = source
        self.format = file_format
        self.timestamps: list[datetime] = []
        self.prices: list[Decimal] = []
        self.volumes: list[Decimal] = []
        self.file_symbol: str | None = None
        self._previous_text = ""
        self._previous_line = 0

    def add(self, row: list[str], line: int) -> None:
        fmt = self.format
        if len(row) != len(fmt.columns):
            raise FeedFileError(
                self.source,
                f"expected {len(fmt.columns)} columns ({fmt.name} format), got {len(row)}",
                line,
            )
        columns = fmt.columns
        try:
            time_text = row[fmt.time_column]
            timestamp = fmt.parse_time(time_text)
            price = parse_number(row[fmt.price_column], columns[fmt.price_column])
            volume = parse_number(row[fmt.volume_column], columns[fmt.volume_column])
            for index in fmt.checked_columns:
                parse_number(row[index], columns[index])
        except FieldError as exc:
            raise FeedFileError(self.source, str(exc), line) from None
        if price <= 0:
            raise FeedFileError(
                self.source,
                f"expected a positive price in column '{columns[fmt.price_column]}', got {row[fmt.price_column]!r}",
                line,
            )
        if volume < 0:
            raise FeedFileError(
                self.source,
                f"expected a non-negative volume in column '{columns[fmt.volume_column]}', "
                f"got {row[fmt.volume_column]!r}",
                line,
            )
        if self.timestamps:
            self._check_order(timestamp, time_text, line)
        if fmt.symbol_column is not None:
            self._check_symbol(row[fmt.symbol_column].strip(), line)
        self.timestamps.append(timestamp)
        self.prices.append(price)
        self.volumes.append(volume)
        self._previous_text = time_text
        self._previous_line = line

    def _check_order(self, timestamp: datetime, text: str, line: int) -> None:
        previous = self.timestamps[-1]
        if timestamp < previous:
            raise FeedFileError(
                self.source,
                f"timestamp {text!r} goes backwards: it is earlier than {self._previous_text!r} "
                f"on line {self._previous_line}; rows must be in time order",
                line,
            )
        if timestamp == previous and not self.format.allow_repeated_timestamps:
            raise FeedFileError(
                self.source,
                f"timestamp {text!r} repeats the one on line {self._previous_line}; "
                "a bar file has one row per timestamp",
                line,
            )

    def _check_symbol(self, symbol: str, line: int) -> None:
        if not symbol:
            raise FeedFileError(self.source, "expected a symbol in column 'symbol', got ''", line)
        if self.file_symbol is None:
            self.file_symbol = symbol
        elif symbol != self.file_symbol:
            raise FeedFileError(
                self.source,
                f"the file mixes symbols {self.file_symbol!r} and {symbol!r}; replay one symbol per file",
                line,
            )


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FeedFileError(path.name, f"cannot read the file ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise FeedFileError(path.name, f"not UTF-8 text (byte {data[exc.start]:#04x})", line) from None


def _detect(source: str, first_row: list[str], line: int) -> FileFormat:
    file_format = detect_format(first_row)
    if file_format is None:
        shown = ",".join(first_row)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        raise FeedFileError(
            source,
            f"unrecognised format: first line is {shown!r} ({len(first_row)} columns); "
            f"known formats: {describe_known_formats()}",
            line,
        )
    return file_format


def _resolve_symbol(source: str, requested: str | None, from_file: str | None) -> str:
    if requested is not None:
        if not requested.strip():
            raise FeedFileError(source, "the symbol given for this file is blank")
        return requested.strip()
    if from_file is not None:
        return from_file.upper()
    derived = symbol_from_filename(source)
    if derived is None:
        raise FeedFileError(source, "cannot derive a symbol from the file name; name the symbol explicitly")
    return derived

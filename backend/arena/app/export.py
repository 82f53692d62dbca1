"""Writing stored prices out in the replay feed's own format, so a recorded session (a live one,
say) can be replayed later, deterministically, with the same agents.

Each stored tick becomes a bar whose open, high, low and close are its price (`interval` 0, the
default: the replay then plays exactly the rounds that were recorded), or ticks are gathered
into bars of `interval` seconds. Into a directory: one file per symbol, `SYMBOL-ticks.csv` (or
`SYMBOL-bars.csv`), a name the replay reads the symbol back from. Into a `.csv` file: exactly one
symbol's prices (the replay names its symbol after the file).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from arena.domain.values import ZERO
from arena.errors import ArenaError, ErrorCode
from arena.store.candles import bucket_start
from arena.store.columns import from_micros, to_micros
from arena.store.db import Database
from arena.store.prices import stored_ticks

HEADER = ("timestamp", "open", "high", "low", "close", "volume")
_UNSAFE = re.compile(r"[^A-Za-z0-9.]+")


@dataclass
class _Bar:
    start: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal = ZERO

    def add(self, price: Decimal, volume: Decimal | None) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        self.volume += volume or ZERO


@dataclass
class Exported:
    files: dict[str, Path] = field(default_factory=dict)  # symbol -> file
    rows: dict[str, int] = field(default_factory=dict)


def is_file_target(out: Path) -> bool:
    """`--out x.csv` names one file; anything else is a directory."""
    return out.suffix.lower() == ".csv"


async def export_prices(
    db: Database,
    out: Path,
    *,
    feed_id: str | None = None,
    competition_id: str | None = None,
    symbol: str | None = None,
    interval: float = 0,
) -> Exported:
    """Write the ticks of a feed (or of a competition's rounds) into `out`: a directory (a file per
    symbol) or one `.csv` file, which takes one symbol only (INVALID_INPUT, and nothing written, if
    there are more: name one with `symbol`)."""
    by_symbol: dict[str, list[_Bar]] = {}
    async for tick in stored_ticks(db, feed_id=feed_id, competition_id=competition_id, symbol=symbol):
        bars = by_symbol.setdefault(tick.symbol, [])
        start = (
            tick.timestamp
            if interval <= 0
            else from_micros(bucket_start(to_micros(tick.timestamp), round(interval * 1_000_000)))
        )
        if bars and bars[-1].start == start:
            if interval <= 0:  # two ticks at one instant: the later one is the price then
                bars[-1] = _Bar(start, tick.price, tick.price, tick.price, tick.price, tick.volume or ZERO)
            else:
                bars[-1].add(tick.price, tick.volume)
            continue
        bars.append(_Bar(start, tick.price, tick.price, tick.price, tick.price, tick.volume or ZERO))
    if is_file_target(out) and len(by_symbol) > 1:
        raise ArenaError(
            ErrorCode.INVALID_INPUT,
            f"{out.name} is one file but the prices are of {len(by_symbol)} symbols ({', '.join(sorted(by_symbol))}): "
            "name one with --symbol, or give a directory",
            "out",
        )
    exported = Exported()
    for name, bars in sorted(by_symbol.items()):
        if is_file_target(out):
            path = out
        else:
            path = out / f"{_UNSAFE.sub('-', name).strip('-')}-{'ticks' if interval <= 0 else 'bars'}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.writer(file)
            writer.writerow(HEADER)
            for bar in bars:
                writer.writerow(
                    (bar.start.strftime("%Y-%m-%d %H:%M:%S.%f"), bar.open, bar.high, bar.low, bar.close, bar.volume)
                )
        exported.files[name] = path
        exported.rows[name] = len(bars)
    return exported

"""How the cost of `arena run --speed max` (persistence on) grows with the work: `bench.fastforward --scaling`.

One dimension at a time from the base case (the four main agents, one symbol, the month):

* agents: 1 (momentum), 4 (the main four), 16 (the main four, four times each);
* symbols: 1 and 3 (the month three times, one symbol per copy: `replay:F,F,F --symbols
  BTC-A,BTC-B,BTC-C`; ../shared/data holds no other 1-minute file of the same period, and
  the replay feed takes one name per file), so a round is 3 quotes;
* bars: the month (45,031 bars) and the month replayed ten times back to back (450,310 bars;
  a file written to the temporary work folder, each copy's timestamps shifted by the month's
  span so they keep increasing).

Each row: its work (rounds x agents x symbols) and its time as multiples of the base case,
and the cost per unit of work. Linear growth keeps "µs / unit" flat. The smoke version runs
the same cases on the month's first few hundred bars.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

MAIN = ("momentum", "mean_reversion", "balanced", "buy_and_hold")
SMOKE_BARS = 300
LONG_COPIES = 10
SYMBOLS_3 = ("BTC-A", "BTC-B", "BTC-C")


@dataclass(frozen=True, slots=True)
class Case:
    label: str
    strategies: tuple[str, ...]
    symbols: int = 1
    copies: int = 1  # the month, replayed this many times back to back

    @property
    def agents(self) -> tuple[str, ...]:
        """`--agents` entries: NAME=STRATEGY, names numbered where a strategy repeats."""
        repeats = len(self.strategies) > len(set(self.strategies))
        seen: dict[str, int] = {}
        entries = []
        for strategy in self.strategies:
            seen[strategy] = seen.get(strategy, 0) + 1
            entries.append(f"{strategy}-{seen[strategy]}={strategy}" if repeats else strategy)
        return tuple(entries)


BASE = Case("base: 4 agents, 1 symbol, 1x bars", MAIN)
CASES = (
    Case("1 agent", ("momentum",)),
    BASE,
    Case("16 agents", MAIN * 4),
    Case("3 symbols", MAIN, symbols=3),
    Case("10x bars", MAIN, copies=LONG_COPIES),
)

# (files, agents, symbols) -> a result row of the arena run (see bench.fastforward.arena_run)
ArenaRun = Callable[[Sequence[Path], Sequence[str], Sequence[str]], dict[str, Any]]


def write_repeated(source: Path, target: Path, copies: int, limit: int | None = None) -> int:
    """`source` (timestamp,open,high,low,close,volume), its first `limit` rows, `copies` times back to
    back, each copy shifted by the span of the rows plus one bar; returns the rows written."""
    header, *rows = source.read_text().splitlines()
    rows = rows[:limit] if limit else rows
    stamps = [datetime.fromisoformat(row.split(",", 1)[0]) for row in rows]
    rests = [row.split(",", 1)[1] for row in rows]
    step = (stamps[-1] - stamps[0]) / max(1, len(rows) - 1)
    span = stamps[-1] - stamps[0] + step
    with target.open("w") as out:
        out.write(header + "\n")
        for copy in range(copies):
            shift = span * copy
            out.writelines(
                f"{(stamp + shift).isoformat(sep=' ', timespec='microseconds')},{rest}\n"
                for stamp, rest in zip(stamps, rests, strict=True)
            )
    return len(rows) * copies


def prepare_files(folder: Path, month: Path, smoke: bool) -> dict[int, Path]:
    """copies -> the file to replay: the month (or, in smoke mode, its first bars) and its 10x."""
    files: dict[int, Path] = {}
    if smoke:
        files[1] = folder / "btc-perp-2022-01-head_1m.csv"
        write_repeated(month, files[1], 1, SMOKE_BARS)
    else:
        files[1] = month
    files[LONG_COPIES] = folder / f"btc-perp-2022-01-x{LONG_COPIES}_1m.csv"
    write_repeated(files[1], files[LONG_COPIES], LONG_COPIES)
    return files


def run_case(case: Case, files: dict[int, Path], arena: ArenaRun) -> dict[str, Any]:
    path = files[case.copies]
    paths = [path] * case.symbols
    symbols = SYMBOLS_3[: case.symbols] if case.symbols > 1 else ()
    row = arena(paths, case.agents, symbols)
    units = row["bars"] * row["agents"] * case.symbols
    return {
        "case": case.label,
        "symbols": case.symbols,
        "copies": case.copies,
        **row,
        "symbol_bar_steps": units,
        "us_per_round": row["seconds"] / row["bars"] * 1e6,
        "us_per_symbol_bar_step": row["seconds"] / units * 1e6,
    }


def run(folder: Path, month: Path, smoke: bool, repeat: int, arena: ArenaRun) -> list[dict[str, Any]]:
    """Every case, `repeat` times in alternating order; the best of each, relative to the base case."""
    files = prepare_files(folder, month, smoke)
    runs: dict[str, list[dict[str, Any]]] = {case.label: [] for case in CASES}
    for i in range(repeat):
        for case in CASES if i % 2 == 0 else CASES[::-1]:
            print(f"fast-forward scaling: {case.label} run {i + 1}/{repeat} ...", file=sys.stderr, flush=True)
            runs[case.label].append(run_case(case, files, arena))
    best = [min(runs[case.label], key=lambda r: r["seconds"]) for case in CASES]
    base = next(r for r in best if r["case"] == BASE.label)
    for row in best:
        row["work_x"] = row["symbol_bar_steps"] / base["symbol_bar_steps"]
        row["time_x"] = row["seconds"] / base["seconds"]
        row["seconds_all"] = [r["seconds"] for r in runs[row["case"]]]
    return best


HEADERS = [
    "case",
    "rounds",
    "agents",
    "symbols",
    "seconds",
    "bar-steps/s",
    "µs/round",
    "µs/unit",
    "work x",
    "time x",
    "fills",
    "db MB",
]


def table_rows(rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            r["case"],
            r["bars"],
            r["agents"],
            r["symbols"],
            r["seconds"],
            r["bar_steps_per_s"],
            r["us_per_round"],
            r["us_per_symbol_bar_step"],
            r["work_x"],
            r["time_x"],
            r["fills"],
            None if r.get("db_bytes") is None else r["db_bytes"] / 1e6,
        ]
        for r in rows
    ]

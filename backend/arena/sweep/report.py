"""A sweep's results ranked by return: as a table, and as JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from arena.sweep.plan import SweepPlan
from arena.sweep.worker import RunResult


def ranked(results: Iterable[RunResult]) -> list[RunResult]:
    """Best return first; equal returns keep the grid's order, so the ranking never depends on timing."""
    return sorted(results, key=lambda r: (-r.return_pct, r.index))


def table(plan: SweepPlan, results: Sequence[RunResult]) -> str:
    """One row per run: rank, its swept parameters, return %, Sharpe, max drawdown %, trades, win %."""
    keys = plan.grid.keys
    header = ("#", *keys, "return %", "Sharpe", "max DD %", "trades", "win %")
    rows = [header]
    for rank, result in enumerate(ranked(results), start=1):
        combination = plan.runs[result.index].combination
        rows.append(
            (
                str(rank),
                *(str(combination[key]) for key in keys),
                f"{result.return_pct:+.2f}",
                "-" if result.sharpe is None else f"{result.sharpe:.3f}",
                f"{result.max_drawdown * 100:.2f}",
                str(result.trade_count),
                "-" if result.win_rate is None else f"{result.win_rate * 100:.0f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def as_json(plan: SweepPlan, results: Sequence[RunResult], *, stored: bool) -> dict[str, Any]:
    """The table's numbers unrounded, with each run's competition id when it was stored."""
    return {
        "strategy": plan.grid.strategy,
        "feed": plan.feed_description,
        "fixed": dict(plan.grid.fixed),
        "runs": [
            {
                "rank": rank,
                "params": plan.runs[result.index].combination,
                "competition_id": result.competition_id if stored else None,
                "return_pct": result.return_pct,
                "sharpe": result.sharpe,
                "max_drawdown": result.max_drawdown,
                "trade_count": result.trade_count,
                "win_rate": result.win_rate,
                "equity": result.equity,
                "rounds": result.rounds,
            }
            for rank, result in enumerate(ranked(results), start=1)
        ],
    }


def write_json(path: Path, plan: SweepPlan, results: Sequence[RunResult], *, stored: bool) -> None:
    path.write_text(json.dumps(as_json(plan, results, stored=stored), indent=2) + "\n", encoding="utf-8")

"""Fast-forward replay: `arena run` at max speed vs backtrader and a bare indicator loop, same bars.

    python -m bench.fastforward [--smoke] [--repeat 2] [--rounds N] [--only KIND,...] [--scaling]

Four runs (KIND in brackets), each in a fresh interpreter, alternating (ABBA) so drift hits
every side alike, all over ../shared/data/btc-perp-2022-01_1m.csv with the four main agents
(momentum, mean_reversion, balanced, buy_and_hold). The figure is bar-steps/s: bars x agents
per second, each side's own time from the start of its run (the CSV load included) to its end.

* arena [arena]: `arena run --feed replay:<csv> --agents momentum,mean_reversion,balanced,
  buy_and_hold --speed max --db <tmp>` (persistence on), its own printed figure, and the fills
  it persisted.
* arena --no-db [arena-no-db]: the same without persistence (where the time goes: engine vs store).
* the same two on the sources [arena-sources, arena-sources-no-db]: `ARENA_NATIVE=0`, the round
  as pure Python (what runs where the compiled round is not built; see arena.native). The two
  above run compiled where the build is current (each row says which ran).
* bare loop [bare]: the same bars (loaded by the same replay feed, before timing), the same
  indicators with the same classes (SMA 10/30; rolling mean/std 20 with a z-score, twice;
  EMA 12/48; compiled, as the arena runs them, where the build is current), no engine, no
  accounts, no events. bar-steps = bars x 4 agents.
* backtrader [backtrader]: the four agents written as backtrader strategies, one cerebro (one
  broker: one account) per agent, the times summed; see `bench.fastforward_bt` for why that is
  the fair comparison and how the rules match ours. Its fills are checked against ours (the
  same count when the rules match). Skipped, with a message, where backtrader is not installed
  (`pip install -e '.[bench]'`).

"ours / backtrader" is the arena's bar-steps/s over backtrader's, with persistence and
without; the issue's target is >= 3.5 with persistence.

`--scaling` (minutes) adds the scaling report of `bench.fastforward_scaling`: the arena with
persistence at 1, 4 and 16 agents, 1 and 3 symbols, the month and ten months. `--smoke` runs
everything on a few bars, scaling included (unless `--only` says otherwise). `--only scaling`
runs the scaling report alone.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import fastforward_scaling as scaling
from bench.common import (
    ARENA,
    BTC_CSV,
    PYTHON,
    parse_args,
    ratio,
    run,
    table,
    workdir,
    write_result,
)

STRATEGIES = ("momentum", "mean_reversion", "balanced", "buy_and_hold")
AGENTS = ",".join(STRATEGIES)
AGENT_COUNT = len(STRATEGIES)
SMOKE_ROUNDS = 2000
TARGET_VS_BACKTRADER = 3.5
LINE = re.compile(r"([\d,]+) bars x (\d+) agents in ([\d.]+)s = ([\d,]+) bar-steps/s; ([\d,]+) fills")
KINDS = {
    "arena": "arena",
    "arena-no-db": "arena --no-db",
    "arena-sources": "arena, sources",
    "arena-sources-no-db": "arena --no-db, sources",
    "bare": "bare loop",
    "backtrader": "backtrader",
}
ROUND = re.compile(r"(compiled|pure-Python) round")
BACKTRADER_MISSING = "backtrader not installed (pip install -e '.[bench]')"


def _extra(parser: Any) -> None:
    import argparse

    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=None, help="only the first N bars (default: all)")
    parser.add_argument(
        "--only",
        default=None,
        help=f"comma-separated runs among {', '.join(KINDS)} and scaling (default: the four runs, "
        "and with --smoke the scaling report too)",
    )
    parser.add_argument("--scaling", action="store_true", help="add the scaling report (minutes)")
    # what the fresh interpreters of the bare loop and backtrader runs are asked to do
    parser.add_argument("--bare-loop", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backtrader-run", action="store_true", help=argparse.SUPPRESS)


# --- the runs -------------------------------------------------------------------------


def arena_run(
    folder: Path,
    *,
    files: Sequence[Path] = (BTC_CSV,),
    agents: Sequence[str] = STRATEGIES,
    symbols: Sequence[str] = (),
    persist: bool = True,
    rounds: int | None = None,
    sources: bool = False,
) -> dict[str, Any]:
    """One `arena run --speed max` in its own process: its printed figures, and the size of its
    database; `sources`: with `ARENA_NATIVE=0` (the round as pure Python)."""
    db = folder / f"ff-{uuid.uuid4().hex[:8]}.db"
    cmd = [
        ARENA,
        "--log-level",
        "warning",
        "run",
        "--feed",
        "replay:" + ",".join(str(f) for f in files),
        *(["--symbols", ",".join(symbols)] if symbols else []),
        "--agents",
        ",".join(agents),
        "--speed",
        "max",
        "--quiet",
        *(["--db", str(db)] if persist else ["--no-db"]),
        *(["--rounds", str(rounds)] if rounds else []),
    ]
    started = time.perf_counter()
    out = run(cmd, timeout=1800, env={**os.environ, "ARENA_NATIVE": "0"} if sources else None).stdout
    wall = time.perf_counter() - started
    match = LINE.search(out)
    if match is None:
        raise RuntimeError(f"no throughput line in the output of arena run:\n{out}")
    bars, count, fills = (int(match.group(i).replace(",", "")) for i in (1, 2, 5))
    seconds = float(match.group(3))
    which = ROUND.search(out)
    return {
        "bars": bars,
        "agents": count,
        "seconds": seconds,
        "bar_steps_per_s": bars * count / seconds,
        "fills": fills,
        "fills_per_s": fills / seconds,
        "process_wall_s": wall,
        "persist": persist,
        "round": which.group(1) if which else "?",
        "db_bytes": _remove_db(db) if persist else None,
    }


def _remove_db(db: Path) -> int:
    """Delete a run's SQLite files (the scaling runs write hundreds of MB); returns their size."""
    size = 0
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if path.exists():
            size += path.stat().st_size
            path.unlink()
    return size


def bare_loop(rounds: int | None) -> dict[str, Any]:
    """The indicators of the four agents over the same bars, and nothing else."""
    from arena.agents.indicators import (
        ExponentialMovingAverage,
        RollingStats,
        SimpleMovingAverage,
    )
    from arena.feeds.replay import ReplayFeed

    batches = list(ReplayFeed([BTC_CSV]).batches())
    if rounds:
        batches = batches[:rounds]
    fast, slow = SimpleMovingAverage(10), SimpleMovingAverage(30)  # momentum
    mr = RollingStats(20)  # mean_reversion
    bal, ema_fast, ema_slow = RollingStats(20), ExponentialMovingAverage(12), ExponentialMovingAverage(48)  # balanced
    signals = 0
    started = time.perf_counter()
    for batch in batches:
        for quote in batch.quotes:
            price = float(quote.price)
            fast.update(price)
            slow.update(price)
            if slow.ready and fast.value > slow.value:
                signals += 1
            z = mr.zscore(price) if mr.ready else None
            mr.update(price)
            if z is not None and z <= -2.0:
                signals += 1
            z = bal.zscore(price) if bal.ready else None
            bal.update(price)
            ema_fast.update(price)
            ema_slow.update(price)
            if z is not None and ema_slow.ready and ema_fast.value > ema_slow.value and z <= -1.0:
                signals += 1
    seconds = time.perf_counter() - started
    return {
        "bars": len(batches),
        "agents": AGENT_COUNT,
        "seconds": seconds,
        "bar_steps_per_s": len(batches) * AGENT_COUNT / seconds,
        "signals": signals,
    }


def child_run(flag: str, rounds: int | None) -> dict[str, Any]:
    """`python -m bench.fastforward <flag>` in a fresh interpreter: the JSON row it prints."""
    cmd = [PYTHON, "-m", "bench.fastforward", flag, *(["--rounds", str(rounds)] if rounds else [])]
    out = run(cmd, timeout=900).stdout
    return json.loads(out.strip().splitlines()[-1])


def backtrader_missing() -> str | None:
    try:
        import backtrader  # noqa: F401
    except ImportError:
        return BACKTRADER_MISSING
    return None


def one_run(kind: str, folder: Path, rounds: int | None) -> dict[str, Any]:
    if kind == "bare":
        return child_run("--bare-loop", rounds)
    if kind == "backtrader":
        return child_run("--backtrader-run", rounds)
    return arena_run(folder, persist=not kind.endswith("no-db"), rounds=rounds, sources="sources" in kind)


def compare(kinds: Sequence[str], folder: Path, rounds: int | None, repeat: int) -> dict[str, list[dict[str, Any]]]:
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for i in range(repeat):
        for kind in kinds if i % 2 == 0 else kinds[::-1]:
            print(f"fast-forward: {KINDS[kind]} run {i + 1}/{repeat} ...", file=sys.stderr, flush=True)
            runs[kind].append(one_run(kind, folder, rounds))
    return runs


# --- the report -----------------------------------------------------------------------


def result_rows(runs: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    best = {kind: max(r, key=lambda x: x["bar_steps_per_s"]) for kind, r in runs.items() if r}
    bare = best.get("bare", {}).get("bar_steps_per_s")
    backtrader = best.get("backtrader", {}).get("bar_steps_per_s")
    return [
        {
            "run": KINDS[kind],
            **b,
            "ratio_to_bare": ratio(b["bar_steps_per_s"], bare),
            "ratio_to_backtrader": ratio(b["bar_steps_per_s"], backtrader),
            "bar_steps_per_s_all": [r["bar_steps_per_s"] for r in runs[kind]],
        }
        for kind, b in best.items()
    ]


def versus_backtrader(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    by_run = {r["run"]: r for r in rows}
    theirs = by_run.get("backtrader")
    if theirs is None:
        return None

    def versus(run: str) -> float | None:
        return by_run[run]["ratio_to_backtrader"] if run in by_run else None

    return {
        "persist": versus(KINDS["arena"]),
        "no_db": versus(KINDS["arena-no-db"]),
        "sources_persist": versus(KINDS["arena-sources"]),
        "sources_no_db": versus(KINDS["arena-sources-no-db"]),
        "target_persist": TARGET_VS_BACKTRADER,
        "fills": {run: r.get("fills") for run, r in by_run.items() if r.get("fills") is not None},
    }


def print_comparison(rows: Sequence[dict[str, Any]], versus: dict[str, Any] | None, repeat: int) -> None:
    print(
        table(
            ["run", "round", "bars", "agents", "seconds", "bar-steps/s", "vs bare loop", "vs backtrader", "fills"],
            [
                [
                    r["run"],
                    r.get("round", "-"),
                    r["bars"],
                    r["agents"],
                    r["seconds"],
                    r["bar_steps_per_s"],
                    r["ratio_to_bare"],
                    r["ratio_to_backtrader"],
                    r.get("fills"),
                ]
                for r in rows
            ],
            title=f"\nFast-forward: {BTC_CSV.name}, agents {AGENTS}, --speed max; best of {repeat}",
        )
    )
    if versus is None or (versus["persist"] is None and versus["no_db"] is None):
        return

    def times(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}x"

    print(
        f"\nours / backtrader: {times(versus['persist'])} with persistence (target >= {TARGET_VS_BACKTRADER}x), "
        f"{times(versus['no_db'])} without; on the sources {times(versus['sources_persist'])} and "
        f"{times(versus['sources_no_db'])}"
    )
    fills = versus["fills"]
    if len(set(fills.values())) > 1:
        print(f"note: the fills differ, so the strategies do not trade alike: {fills}")


def print_scaling(rows: Sequence[dict[str, Any]], repeat: int) -> None:
    print(
        table(
            scaling.HEADERS,
            scaling.table_rows(rows),
            title=f"\nScaling: arena run --speed max with persistence; unit = round x agent x symbol; "
            f"x = vs the base case; best of {repeat}",
        )
    )


# --- main ------------------------------------------------------------------------------


def wanted_kinds(args: Any) -> list[str]:
    if args.only is None:
        wanted = [*KINDS, *(["scaling"] if args.smoke else [])]
    else:
        wanted = [w.strip() for w in args.only.split(",") if w.strip()]
    unknown = set(wanted) - {*KINDS, "scaling"}
    if unknown:
        raise SystemExit(f"--only: unknown {', '.join(sorted(unknown))} (choose among {', '.join(KINDS)}, scaling)")
    if args.scaling:
        wanted.append("scaling")
    return list(dict.fromkeys(wanted))


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args("fast-forward replay vs backtrader and a bare indicator loop", argv, _extra)
    rounds = SMOKE_ROUNDS if args.smoke else args.rounds
    if args.bare_loop:
        print(json.dumps(bare_loop(rounds)))
        return {}
    if args.backtrader_run:
        from bench import fastforward_bt

        print(json.dumps(fastforward_bt.run(BTC_CSV, STRATEGIES, rounds)))
        return {}
    if not BTC_CSV.exists():
        message = f"recorded market data not found at {BTC_CSV} (../shared/data beside the project)"
        if args.smoke:
            print(f"SKIPPED: {message}")
            return {"skipped": message}
        raise SystemExit(message)
    wanted = wanted_kinds(args)
    skipped: dict[str, str] = {}
    if "backtrader" in wanted and (missing := backtrader_missing()):
        print(f"SKIPPED: {missing}", flush=True)
        skipped["backtrader"] = missing
        wanted.remove("backtrader")
    repeat = 1 if args.smoke else args.repeat
    result: dict[str, Any] = {"repeat": repeat, "rounds": rounds, "agents": AGENTS, "skipped_runs": skipped}
    with workdir("fastforward") as folder:
        rows = result_rows(compare([k for k in wanted if k in KINDS], folder, rounds, repeat))
        result["rows"] = rows
        result["vs_backtrader"] = versus_backtrader(rows)
        if rows:
            print_comparison(rows, result["vs_backtrader"], repeat)
        if "scaling" in wanted:

            def arena(files: Sequence[Path], agents: Sequence[str], symbols: Sequence[str]) -> dict[str, Any]:
                return arena_run(folder, files=files, agents=agents, symbols=symbols)

            result["scaling"] = scaling.run(folder, BTC_CSV, args.smoke, repeat, arena)
            print_scaling(result["scaling"], repeat)
    write_result("fastforward", result, args.out, args.smoke)
    return result


if __name__ == "__main__":
    main()

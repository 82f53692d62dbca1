"""Fast-forward replay: `arena run` at max speed vs a bare indicator loop over the same bars.

    python -m bench.fastforward [--smoke] [--repeat 2]

Three runs, each in a fresh interpreter, alternating (ABBA) so drift hits both sides:
* arena: `arena run --feed replay:../shared/data/btc-perp-2022-01_1m.csv --agents
  momentum,mean_reversion,balanced,buy_and_hold --speed max --db <tmp>` (persistence on),
  as printed by the command itself: bar-steps/s (bars x agents / s) and fills persisted.
* arena --no-db: the same without persistence (where the time goes: engine vs store).
* bare loop: the same bars (loaded by the same replay feed, before timing), the same
  indicators with the same classes (SMA 10/30; rolling mean/std 20 with a z-score, twice;
  EMA 12/48), no engine, no accounts, no events. bar-steps = bars x 4 agents.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Any

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

AGENTS = "momentum,mean_reversion,balanced,buy_and_hold"
AGENT_COUNT = 4
LINE = re.compile(r"([\d,]+) bars x (\d+) agents in ([\d.]+)s = ([\d,]+) bar-steps/s; ([\d,]+) fills")


def _extra(parser: Any) -> None:
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--bare-loop", action="store_true", help=argparse_hidden())
    parser.add_argument("--rounds", type=int, default=None)


def argparse_hidden() -> str:
    import argparse

    return argparse.SUPPRESS


def arena_run(folder: Path, rounds: int | None, persist: bool, index: int) -> dict[str, Any]:
    db = folder / f"ff-{index}.db"
    cmd = [
        ARENA,
        "--log-level",
        "warning",
        "run",
        "--feed",
        f"replay:{BTC_CSV}",
        "--agents",
        AGENTS,
        "--speed",
        "max",
        "--quiet",
        *(["--db", str(db)] if persist else ["--no-db"]),
        *(["--rounds", str(rounds)] if rounds else []),
    ]
    started = time.perf_counter()
    out = run(cmd, timeout=900).stdout
    wall = time.perf_counter() - started
    match = LINE.search(out)
    if match is None:
        raise RuntimeError(f"no throughput line in the output of arena run:\n{out}")
    bars, agents, seconds, _rate, fills = (match.group(i).replace(",", "") for i in range(1, 6))
    return {
        "bars": int(bars),
        "agents": int(agents),
        "seconds": float(seconds),
        "bar_steps_per_s": int(bars) * int(agents) / float(seconds),
        "fills": int(fills),
        "fills_per_s": int(fills) / float(seconds),
        "process_wall_s": wall,
        "persist": persist,
    }


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


def bare_run(rounds: int | None) -> dict[str, Any]:
    cmd = [PYTHON, "-m", "bench.fastforward", "--bare-loop", *(["--rounds", str(rounds)] if rounds else [])]
    out = run(cmd, timeout=300).stdout
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args("fast-forward replay vs a bare indicator loop", argv, _extra)
    rounds = 2000 if args.smoke else args.rounds
    if args.bare_loop:
        print(json.dumps(bare_loop(rounds)))
        return {}
    if not BTC_CSV.exists():
        message = f"recorded market data not found at {BTC_CSV} (../shared/data beside the project)"
        if args.smoke:
            print(f"SKIPPED: {message}")
            return {"skipped": message}
        raise SystemExit(message)
    repeat = 1 if args.smoke else args.repeat
    runs: dict[str, list[dict[str, Any]]] = {"arena": [], "arena --no-db": [], "bare loop": []}
    with workdir("fastforward") as folder:
        for i in range(repeat):
            order = ["arena", "arena --no-db", "bare loop"]
            for kind in order if i % 2 == 0 else order[::-1]:
                print(f"fast-forward: {kind} run {i + 1}/{repeat} ...", file=sys.stderr, flush=True)
                if kind == "bare loop":
                    runs[kind].append(bare_run(rounds))
                else:
                    runs[kind].append(arena_run(folder, rounds, kind == "arena", len(runs[kind]) + 10 * i))
    best = {kind: max(r, key=lambda x: x["bar_steps_per_s"]) for kind, r in runs.items()}
    base = best["bare loop"]["bar_steps_per_s"]
    rows = [
        {
            "run": kind,
            **b,
            "ratio_to_bare": ratio(b["bar_steps_per_s"], base),
            "bar_steps_per_s_all": [r["bar_steps_per_s"] for r in runs[kind]],
        }
        for kind, b in best.items()
    ]
    print(
        table(
            ["run", "bars", "agents", "seconds", "bar-steps/s", "vs bare loop", "fills", "fills/s"],
            [
                [
                    r["run"],
                    r["bars"],
                    r["agents"],
                    r["seconds"],
                    r["bar_steps_per_s"],
                    r["ratio_to_bare"],
                    r.get("fills"),
                    r.get("fills_per_s"),
                ]
                for r in rows
            ],
            title=f"\nFast-forward: {BTC_CSV.name}, agents {AGENTS}, --speed max; best of {repeat}",
        )
    )
    result = {"rows": rows, "repeat": repeat, "rounds": rounds, "agents": AGENTS}
    write_result("fastforward", result, args.out, args.smoke)
    return result


if __name__ == "__main__":
    main()

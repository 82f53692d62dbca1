"""Run every benchmark, then print the issue's targets as met / not met.

    python -m bench.all [--smoke] [--only fanout,queries,...]

Each benchmark runs as its own process (`python -m bench.<name>`), one after the other,
and writes its JSON to bench/results/; this writes bench/results/all.json with the
summary. Before each one (not in smoke mode) it waits, at most a minute, for the
machine to be quiet (other processes using less than half a core), and records the
background load it measured either way.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import PYTHON, ROOT, parse_args, table, write_result
from bench.fastforward import TARGET_VS_BACKTRADER

BENCHMARKS = ("fastforward", "persist", "leak", "queries", "fanout")
QUIET_CORES = 0.5
QUIET_WAIT_S = 60.0


def _extra(parser: Any) -> None:
    parser.add_argument("--only", default=",".join(BENCHMARKS), help="comma-separated subset")
    parser.add_argument("--no-wait", action="store_true", help="do not wait for a quiet machine")


def busy_cores(sample_s: float = 1.0) -> float:
    def jiffies() -> tuple[int, int]:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
        idle = values[3] + values[4]
        total = sum(values[:8])
        return total - idle, total

    busy0, total0 = jiffies()
    time.sleep(sample_s)
    busy1, total1 = jiffies()
    return (os.cpu_count() or 1) * (busy1 - busy0) / max(1, total1 - total0)


def wait_for_quiet(limit_s: float = QUIET_WAIT_S) -> float:
    deadline = time.monotonic() + limit_s
    load = busy_cores()
    while load > QUIET_CORES and time.monotonic() < deadline:
        print(f"  machine busy ({load:.2f} cores in use by others); waiting ...", file=sys.stderr, flush=True)
        load = busy_cores(2.0)
    return load


def _load(folder: Path, name: str, smoke: bool) -> dict[str, Any] | None:
    path = folder / f"{name}{'-smoke' if smoke else ''}.json"
    return json.loads(path.read_text()) if path.exists() else None


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT MET")


def summarize(folder: Path, smoke: bool) -> list[dict[str, Any]]:
    """The issue's targets against the latest results in `folder`."""
    rows: list[dict[str, Any]] = []
    fanout = _load(folder, "fanout", smoke)
    if fanout:
        for label, series in fanout["series"].items():
            graphql = [r for r in series["live"] if r["mode"] == "graphql"]
            for r in graphql:
                ratio, p99, rounds = r["ratio_to_raw"] or 0, r["p99_ms"] or 1e9, r["rounds_per_s"]
                if r.get("case") == "mixed":
                    goal, ok = ">= 0.7 of raw", ratio >= 0.7
                elif r["clients"] >= 5000:
                    goal, ok = ">= 0.8 of raw", ratio >= 0.8
                elif r["clients"] >= 2000:
                    goal, ok = "10 rounds/s, p99 <= 250 ms", rounds >= 9.5 and p99 <= 250
                elif r["clients"] >= 1000:
                    goal, ok = (
                        ">= 0.8 of raw, p99 <= 100 ms, 10 rounds/s",
                        ratio >= 0.8 and p99 <= 100 and rounds >= 9.5,
                    )
                else:
                    continue
                rows.append(
                    {
                        "target": f"fan-out, {r.get('case', 'prices')}, {r['clients']:,} subscribers (deflate {label})",
                        "goal": goal,
                        "measured": f"{ratio:.2f} of raw, p99 {p99:,.0f} ms, {rounds:.1f} rounds/s",
                        "verdict": _verdict(ok),
                    }
                )
            idle = next((r for r in series["idle"] if r["mode"] == "graphql"), None)
            raw_idle = next((r for r in series["idle"] if r["mode"] == "raw"), None)
            if idle:
                kib = idle["per_subscriber"] / 1024
                rows.append(
                    {
                        "target": f"memory per idle subscriber (deflate {label})",
                        "goal": "<= 40 KiB",
                        "measured": f"{kib:.1f} KiB (raw websocket {raw_idle['per_subscriber'] / 1024:.1f} KiB)"
                        if raw_idle
                        else f"{kib:.1f} KiB",
                        "verdict": _verdict(kib <= 40),
                    }
                )
            at_1000 = [r for r in graphql if r["clients"] == 1000 and r.get("case", "prices") == "prices"]
            if at_1000:
                stall = max(r["loop_max_stall_ms"] for r in at_1000)
                rows.append(
                    {
                        "target": f"event-loop stall at 1,000 subscribers (deflate {label})",
                        "goal": "<= 50 ms",
                        "measured": f"{stall:.0f} ms",
                        "verdict": _verdict(stall <= 50),
                    }
                )
    queries = _load(folder, "queries", smoke)
    if queries and not queries.get("skipped"):
        for r in queries["rows"]:
            if r["mode"] == "graphql":
                floor = 0.5 if "sqlite3" in r["query"] else 0.25
                rows.append(
                    {
                        "target": f"query {r['query']}",
                        "goal": f">= {floor} of its baseline",
                        "measured": f"{r['ratio_to_raw']:.2f} of raw ({r['req_per_s']:,.0f} req/s, "
                        f"p99 {r['p99_ms']:.0f} ms)",
                        "verdict": _verdict(r["ratio_to_raw"] >= floor),
                    }
                )
    fastforward = _load(folder, "fastforward", smoke)
    if fastforward and not fastforward.get("skipped"):
        rows.extend(_fastforward_targets(fastforward))
    return rows


def _fastforward_targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    by_run = {r["run"]: r for r in result.get("rows", [])}
    rows: list[dict[str, Any]] = []
    arena = by_run.get("arena")
    if arena:
        bare = "-" if arena["ratio_to_bare"] is None else f"{arena['ratio_to_bare']:.3f}"
        rows.append(
            {
                "target": "fast-forward (persistence on)",
                "goal": ">= 100k bar-steps/s",
                "measured": f"{arena['bar_steps_per_s']:,.0f} bar-steps/s ({bare} of the "
                f"bare loop); {arena['fills_per_s']:,.0f} fills/s persisted",
                "verdict": _verdict(arena["bar_steps_per_s"] >= 100_000),
            }
        )
    no_store = by_run.get("arena --no-db")
    if no_store:
        rows.append(
            {
                "target": "fast-forward (persistence off)",
                "goal": ">= 200k bar-steps/s",
                "measured": f"{no_store['bar_steps_per_s']:,.0f} bar-steps/s ({no_store.get('round', '?')} round)",
                "verdict": _verdict(no_store["bar_steps_per_s"] >= 200_000),
            }
        )
    versus = result.get("vs_backtrader") or {}
    if versus.get("persist") is not None:
        no_db = "" if versus.get("no_db") is None else f"; {versus['no_db']:.2f}x without the store"
        rows.append(
            {
                "target": "fast-forward vs backtrader (persistence on)",
                "goal": f">= {versus['target_persist']}x backtrader's bar-steps/s",
                "measured": f"{versus['persist']:.2f}x ({by_run['backtrader']['bar_steps_per_s']:,.0f} "
                f"bar-steps/s for backtrader){no_db}",
                "verdict": _verdict(versus["persist"] >= versus["target_persist"]),
            }
        )
    elif "backtrader" in result.get("skipped_runs", {}):
        rows.append(
            {
                "target": "fast-forward vs backtrader (persistence on)",
                "goal": f">= {TARGET_VS_BACKTRADER}x backtrader's bar-steps/s",
                "measured": result["skipped_runs"]["backtrader"],
                "verdict": _verdict(None),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args("run every benchmark and check the targets", argv, _extra)
    chosen = [b for b in args.only.split(",") if b]
    unknown = set(chosen) - set(BENCHMARKS)
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(unknown))}")
    runs = []
    for name in chosen:
        load = None if args.smoke or args.no_wait else wait_for_quiet()
        print(f"\n=== bench.{name}{' --smoke' if args.smoke else ''} ===", flush=True)
        started = time.monotonic()
        cmd = [PYTHON, "-m", f"bench.{name}", "--out", args.out, *(["--smoke"] if args.smoke else [])]
        code = subprocess.run(cmd, cwd=ROOT, timeout=3600).returncode
        runs.append(
            {"benchmark": name, "exit": code, "seconds": time.monotonic() - started, "background_cores_before": load}
        )
        if code != 0:
            print(f"bench.{name} failed with exit code {code}", file=sys.stderr)
    targets = summarize(Path(args.out), args.smoke)
    print(
        table(
            ["target", "goal", "measured", "verdict"],
            [[t["target"], t["goal"], t["measured"], t["verdict"]] for t in targets],
            title="\nTargets (issue 6)",
        )
    )
    result = {"runs": runs, "targets": targets}
    write_result("all", result, args.out, args.smoke)
    if any(r["exit"] != 0 for r in runs):
        raise SystemExit(1)
    return result


if __name__ == "__main__":
    main()

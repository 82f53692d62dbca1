"""Subscription fan-out: GraphQL subscriptions vs a raw Starlette websocket broadcast.

    python -m bench.fanout [--smoke] [--clients 100,500,1000,2000,5000] [--seconds 10] [--mixed 1000]
                           [--modes graphql,raw,alone]

For each N, fresh bench servers run one after the other (same code, same demo
competition, ticks at 10 rounds/s, same database work): `graphql`, where the N clients
subscribe through Strawberry at /graphql (grouped: one execution per event per distinct
document); `raw`, where they connect to the raw broadcast at /_bench/raw, which sends the
same `next` frames, serialized once per distinct operation, from one loop; and, when
asked for, `alone`: /graphql with grouping off (ARENA_SUBSCRIPTION_GROUPS=0, every
subscriber executing on its own, as before groups). The clients run in separate
processes (bench.fanout_client): one per 1,000 clients, at most two, so the client side
is not the limit. `--mixed N` adds the mixed case: N clients over the 20
MIXED_SUBSCRIPTIONS (prices, trades, leaderboard, arenaEvents); its raw baseline sends
each client the frames of its own document, each computed once per distinct document.

Latency is receipt time minus the wall-clock time at which the round's events reached
the runner's event outbox (stamped by a tap on its store sink, before the recorder writes
them): "tick to receipt". `publish` latency starts at the publisher instead (after the
SQLite commit).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import (
    PYTHON,
    ROOT,
    bench_server,
    http_json,
    parse_args,
    percentile,
    ratio,
    run,
    table,
    workdir,
    write_result,
)

TICK_INTERVAL = 0.1
MODES = ("graphql", "raw")
PATHS = {"graphql": "/graphql", "raw": "/_bench/raw", "alone": "/graphql"}
ENV = {"alone": {"ARENA_SUBSCRIPTION_GROUPS": "0"}}
CLIENTS_PER_PROCESS = 1000
MAX_PROCESSES = 2


def _extra(parser: Any) -> None:
    parser.add_argument("--clients", default="100,500,1000,2000,5000", help="comma-separated client counts")
    parser.add_argument("--mixed", type=int, default=1000, help="clients of the mixed case (0: none)")
    parser.add_argument("--modes", default="graphql,raw", help="of graphql, raw, alone (grouping off)")
    parser.add_argument("--seconds", type=float, default=10.0, help="measurement window per run")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--idle-clients", type=int, default=1000)
    parser.add_argument(
        "--compression",
        choices=["off", "on", "both"],
        default="both",
        help="whether clients offer permessage-deflate (browsers and `websockets` do by default)",
    )
    parser.add_argument("--repeat", type=int, default=2, help="runs per mode and N (ABBA order), best reported")


def measure(
    folder: Path,
    mode: str,
    clients: int,
    seconds: float,
    warmup: float,
    compression: bool,
    idle: bool = False,
    mixed: bool = False,
) -> dict[str, Any]:
    path = PATHS[mode]
    tick = 3600.0 if idle else TICK_INTERVAL
    name = re.sub(r"\W+", "-", f"{mode}-{'idle' if idle else 'mixed' if mixed else 'live'}-{clients}")
    with bench_server(folder, name, kill=idle, tick_interval=tick, demo=not idle, env=ENV.get(mode)) as server:
        health = http_json(f"{server.url}/health")
        symbols = len((health.get("feed") or {}).get("symbols") or [])
        common = [PYTHON, "-m", "bench.fanout_client", "--base", server.ws, "--http", server.url, "--path", path]
        common += ["--seconds", str(seconds), "--warmup", str(warmup)]
        if idle:
            common.append("--idle")
        if not compression:
            common.append("--no-compression")
        if mixed:
            common.append("--mix")
        processes = 1 if idle else max(1, min(MAX_PROCESSES, -(-clients // CLIENTS_PER_PROCESS)))
        raw = _run_clients(folder, name, common, clients, processes, warmup, seconds)
    return summarize(mode, raw, symbols, idle)


def _run_clients(
    folder: Path, name: str, common: list[str], clients: int, processes: int, warmup: float, seconds: float
) -> dict[str, Any]:
    """The clients, split over `processes` processes that measure one window together; their results merged."""
    if processes == 1:
        out = folder / f"{name}.json"
        run([*common, "--clients", str(clients), "--out", str(out)], timeout=seconds + warmup + 240)
        return json.loads(out.read_text())
    go = folder / f"{name}.go"
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    outs, readies, procs = [], [], []
    offset = 0
    for i, share in enumerate(shares):
        out, ready = folder / f"{name}.{i}.json", folder / f"{name}.{i}.ready"
        cmd = [*common, "--clients", str(share), "--offset", str(offset), "--out", str(out)]
        cmd += ["--ready", str(ready), "--go", str(go)] + ([] if i == 0 else ["--no-stats"])
        procs.append(subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        outs.append(out)
        readies.append(ready)
        offset += share
    deadline = time.monotonic() + 240
    while not all(r.exists() for r in readies):
        if time.monotonic() > deadline or any(p.poll() not in (None, 0) for p in procs):
            for proc in procs:
                proc.kill()
            raise RuntimeError(f"fan-out clients did not all subscribe: {[p.communicate() for p in procs]}")
        time.sleep(0.1)
    go.write_text(str(time.time() + warmup))
    for proc in procs:
        _, stderr = proc.communicate(timeout=seconds + warmup + 240)
        if proc.returncode != 0:
            raise RuntimeError(f"a fan-out client process exited with {proc.returncode}:\n{stderr[-3000:]}")
    parts = [json.loads(out.read_text()) for out in outs]
    return _merged(parts)


def _merged(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """One client process's result shape from several: the stats process's server figures, the rest summed."""
    first = parts[0]
    merged = {**first}
    merged["clients"] = sum(p["clients"] for p in parts)
    merged["subscribed"] = sum(p["subscribed"] for p in parts)
    merged["connect_s"] = max(p["connect_s"] for p in parts)
    merged["error_count"] = sum(p["error_count"] for p in parts)
    merged["errors"] = [e for p in parts for e in p["errors"]][:20]
    merged["client_cpu_percent"] = sum(p["client_cpu_percent"] for p in parts)
    merged["received"] = {
        "keys": [k for p in parts for k in p["received"]["keys"]],
        "times": [t for p in parts for t in p["received"]["times"]],
        "outside_window": sum(p["received"]["outside_window"] for p in parts),
        "other": sum(p["received"].get("other", 0) for p in parts),
    }
    return merged


def summarize(mode: str, raw: dict[str, Any], symbols: int, idle: bool) -> dict[str, Any]:
    row: dict[str, Any] = {
        "mode": mode,
        "clients": raw["clients"],
        "subscribed": raw["subscribed"],
        "connect_s": raw["connect_s"],
        "errors": raw["error_count"],
        "error_samples": raw["errors"],
        "compression": raw["compression"],
        "symbols": symbols,
    }
    if idle:
        row.update(raw["idle"])
        return row
    window = raw["window_s"]
    keys, times = raw["received"]["keys"], raw["received"]["times"]
    tick, publish = raw["stamps"]["tick"], raw["stamps"]["publish"]
    lat_tick, lat_pub, unmatched = [], [], 0
    for key, at in zip(keys, times, strict=True):
        sent = tick.get(key)
        if sent is None:
            unmatched += 1
            continue
        lat_tick.append((at - sent) * 1000)
        if key in publish:
            lat_pub.append((at - publish[key]) * 1000)
    server = raw["server"]
    rounds_per_s = server["rounds"] / window if window else 0
    delivered = (len(times) + raw["received"].get("other", 0)) / window if window else 0.0
    cpu = server["cpu_percent"]
    row.update(
        {
            "window_s": window,
            "rounds_per_s": rounds_per_s,
            "offered_per_s": raw["subscribed"] * symbols * rounds_per_s,
            "delivered_per_s": delivered,
            "p50_ms": percentile(lat_tick, 50),
            "p99_ms": percentile(lat_tick, 99),
            "max_ms": max(lat_tick, default=None),
            "publish_p50_ms": percentile(lat_pub, 50),
            "publish_p99_ms": percentile(lat_pub, 99),
            "unmatched": unmatched,
            "server_cpu_percent": cpu,
            "server_cpu_us_per_msg": (cpu / 100 * 1e6 / delivered) if cpu and delivered else None,
            "server_rss_mb": server["rss_end"] / 2**20,
            "loop_max_stall_ms": server["loop"]["max_ms"],
            "gc_max_ms": server["loop"].get("gc_max_ms"),
            "gc_runs": server["loop"].get("gc_runs"),
            "loop_p99_lag_ms": server["loop"]["p99_ms"],
            "stalls_over_50ms": server["loop"]["stalls_over_50ms"],
            "dropped_subscribers": server["dropped"],
            "client_cpu_percent": raw["client_cpu_percent"],
            "machine_busy_percent": raw["machine_busy_percent"],
        }
    )
    return row


def _best(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Of repeated runs, the one with the most delivered messages (noise on a shared machine only slows)."""
    best = max(runs, key=lambda r: (r["delivered_per_s"], -(r["p99_ms"] or 0)))
    return {
        **best,
        "runs": len(runs),
        "delivered_per_s_all": [r["delivered_per_s"] for r in runs],
        "p99_ms_all": [r["p99_ms"] for r in runs],
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args("subscription fan-out vs raw websocket broadcast", argv, _extra)
    counts = [5] if args.smoke else [int(c) for c in args.clients.split(",") if c.strip()]
    mixed = 20 if args.smoke else args.mixed
    seconds = 0.7 if args.smoke else args.seconds
    warmup = 0.3 if args.smoke else args.warmup
    idle_clients = 10 if args.smoke else args.idle_clients
    repeat = 1 if args.smoke else args.repeat
    modes = tuple(m for m in args.modes.split(",") if m in PATHS)
    compressions = {"off": [False], "on": [True], "both": [False, True]}[args.compression]
    if args.smoke:
        compressions = compressions[:1]
    cases = [("prices", n) for n in counts] + ([("mixed", mixed)] if mixed else [])
    series: dict[str, Any] = {}
    with workdir("fanout") as folder:
        for compression in compressions:
            label = "on" if compression else "off"
            runs: dict[tuple[str, str, int], list[dict[str, Any]]] = {}
            for case, n in cases:
                for i in range(repeat):
                    order = modes if i % 2 == 0 else modes[::-1]  # ABBA against drift
                    for mode in order:
                        print(
                            f"fan-out (compression {label}): {case}, {mode} with {n} clients, run {i + 1}/{repeat} ...",
                            file=sys.stderr,
                            flush=True,
                        )
                        row = measure(folder, mode, n, seconds, warmup, compression, mixed=case == "mixed")
                        runs.setdefault((case, mode, n), []).append({**row, "case": case})
            live = [_best(runs[(case, mode, n)]) for case, n in cases for mode in modes]
            by = {(r["case"], r["mode"], r["clients"]): r for r in live}
            for r in live:
                base = by.get((r["case"], "raw", r["clients"]))
                r["ratio_to_raw"] = ratio(r["delivered_per_s"], base["delivered_per_s"] if base else None)
            idle = []
            for mode in modes:
                print(
                    f"idle memory (compression {label}): {mode} with {idle_clients} clients ...",
                    file=sys.stderr,
                    flush=True,
                )
                idle.append(measure(folder, mode, idle_clients, 0, 0.3 if args.smoke else 3.0, compression, idle=True))
            series[label] = {"live": live, "idle": idle}
            _print(live, idle, compression, repeat)
    result = {"tick_interval": TICK_INTERVAL, "seconds": seconds, "repeat": repeat, "series": series}
    write_result("fanout", result, args.out, args.smoke)
    return result


def _print(live: list[dict[str, Any]], idle: list[dict[str, Any]], compression: bool, repeat: int) -> None:
    symbols = live[0]["symbols"] if live else "?"
    print(
        table(
            [
                "case",
                "mode",
                "N",
                "rounds/s",
                "offered/s",
                "delivered/s",
                "vs raw",
                "p50 ms",
                "p99 ms",
                "pub p99",
                "CPU %",
                "µs/msg",
                "RSS MB",
                "stall ms",
                "gc max ms",
                "client %",
                "machine %",
                "errors",
            ],
            [
                [
                    r["case"],
                    r["mode"],
                    r["clients"],
                    r["rounds_per_s"],
                    r["offered_per_s"],
                    r["delivered_per_s"],
                    r["ratio_to_raw"],
                    r["p50_ms"],
                    r["p99_ms"],
                    r["publish_p99_ms"],
                    r["server_cpu_percent"],
                    r["server_cpu_us_per_msg"],
                    r["server_rss_mb"],
                    r["loop_max_stall_ms"],
                    r["gc_max_ms"],
                    r["client_cpu_percent"],
                    r["machine_busy_percent"],
                    r["errors"],
                ]
                for r in live
            ],
            title=f"\nFan-out, permessage-deflate {'on' if compression else 'off'}: prices subscription, target "
            f"{1 / TICK_INTERVAL:.0f} rounds/s x {symbols} symbols; best of {repeat} "
            "(machine % = all cores, of 100 per core)",
        )
    )
    print(
        table(
            ["mode", "N idle", "RSS before MB", "RSS after MB", "KiB per subscriber"],
            [
                [
                    r["mode"],
                    r["subscribed"],
                    r["rss_before"] / 2**20,
                    r["rss_after"] / 2**20,
                    r["per_subscriber"] / 1024,
                ]
                for r in idle
            ],
            title=f"\nMemory per idle subscriber, permessage-deflate {'on' if compression else 'off'} "
            "(server RSS after gc, before and after N subscribe)",
        )
    )


if __name__ == "__main__":
    main()

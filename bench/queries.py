"""Query throughput: GraphQL `leaderboard`, `trades(first: 50)` and a nested query vs baselines.

    python -m bench.queries [--smoke] [--seconds 10] [--connections 32]

Drives one bench server (the real app; a live demo competition ticking at 10 rounds/s on
a database seeded with a headless run's history) with `wrk` (apt-get install -y wrk) and
a Lua POST script, 32 concurrent connections. The baselines are /_bench/raw/leaderboard
and /_bench/raw/trades: Starlette JSONResponse endpoints that read the same data through
the same reader, store calls and converters as the resolvers and return exactly GraphQL's `data`
(checked before measuring). The nested query (finished competitions → leaderboard → agent → its
last 3 trades) has a second kind of baseline, /_bench/sqlite3/nested: the same rows read with
plain `sqlite3` and shaped by hand (bench/sqlite_baseline.py); trades(first: 50) and the
leaderboard have one too. `trades` reads stored rows only, so the server answers it from its
query cache between commits (api/query_cache.py); a second server on the same database with
ARENA_QUERY_CACHE=0 measures it executed for every request. Runs alternate GraphQL/raw in ABBA
order; the best run counts.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

from bench import payloads
from bench.common import (
    ARENA,
    bench_server,
    http_json,
    parse_args,
    proc_cpu_seconds,
    ratio,
    run,
    table,
    workdir,
    write_result,
)

MODES = ("graphql", "raw")
QUERIES = {
    "leaderboard": (payloads.LEADERBOARD_QUERY, "/_bench/raw/leaderboard"),
    "leaderboard (vs sqlite3)": (payloads.LEADERBOARD_QUERY, "/_bench/sqlite3/leaderboard"),
    "trades(first: 50)": (payloads.TRADES_QUERY, "/_bench/raw/trades"),
    "trades(first: 50) (vs sqlite3)": (payloads.TRADES_QUERY, "/_bench/sqlite3/trades"),
    "nested (vs sqlite3)": (payloads.NESTED_QUERY, "/_bench/sqlite3/nested"),
}
# The same stored-only query on a second server with the query cache off: every request executes.
UNCACHED = {"trades(first: 50) (vs sqlite3, cache off)": (payloads.TRADES_QUERY, "/_bench/sqlite3/trades")}
# The live leaderboard is served from memory, a round ahead of what sqlite3 can read: same shape only.
SHAPE_ONLY = {"leaderboard (vs sqlite3)"}

LUA = """\
wrk.method = "POST"
wrk.body = [==[{body}]==]
wrk.headers["Content-Type"] = "application/json"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%f,' ..
    '"status":%d,"connect":%d,"read":%d,"write":%d,"timeout":%d}}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max, latency.mean,
    e.status, e.connect, e.read, e.write, e.timeout))
end
"""


def _extra(parser: Any) -> None:
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=2, help="runs per endpoint (ABBA order), best reported")
    parser.add_argument(
        "--seed-rounds", type=int, default=4000, help="rounds of the headless run that seeds the history"
    )


def wrk(url: str, body: str, seconds: int, connections: int, folder: Path, server_pid: int) -> dict[str, Any]:
    script = folder / "post.lua"
    script.write_text(LUA.format(body=body))
    cpu_before = proc_cpu_seconds(server_pid)
    out = run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script), url],
        timeout=seconds + 60,
    ).stdout
    cpu_after = proc_cpu_seconds(server_pid)
    line = next((ln for ln in out.splitlines() if ln.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    data = json.loads(line[len("WRKJSON ") :])
    seconds_run = data["duration_us"] / 1e6
    errors = sum(data[k] for k in ("status", "connect", "read", "write", "timeout"))
    return {
        "requests": data["requests"],
        "req_per_s": data["requests"] / seconds_run,
        "p50_ms": data["p50_us"] / 1000,
        "p99_ms": data["p99_us"] / 1000,
        "max_ms": data["max_us"] / 1000,
        "errors": errors,
        "server_cpu_percent": 100 * (cpu_after - cpu_before) / seconds_run,
    }


def check_same_data(base: str, query: str, raw_path: str, attempts: int = 20, shape_only: bool = False) -> str:
    """'exact' when the raw endpoint returned GraphQL's data between two identical GraphQL answers
    ('same shape' when only the keys can be compared)."""
    if shape_only:
        graphql, raw = http_json(f"{base}/graphql", {"query": query}), http_json(f"{base}{raw_path}", {})
        if _shape(raw) != _shape({"data": graphql["data"]}):
            raise RuntimeError(f"the baseline {raw_path} does not have GraphQL's shape:\n{raw}\n{graphql}")
        return "same shape (live data moves on)"
    for _ in range(attempts):
        first = http_json(f"{base}/graphql", {"query": query})
        if first.get("errors"):
            raise RuntimeError(f"GraphQL answered with errors: {first['errors']}")
        raw = http_json(f"{base}{raw_path}", {})
        second = http_json(f"{base}/graphql", {"query": query})
        if first == second:
            if raw != first:
                raise RuntimeError(f"the raw endpoint {raw_path} does not return GraphQL's data:\n{raw}\n{first}")
            return "exact"
    return "not checked (the data changed under every attempt)"


def _shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return None


def _measure(
    server: Any,
    queries: dict[str, tuple[str, str]],
    folder: Path,
    *,
    rows: list[dict[str, Any]],
    checks: dict[str, str],
    seconds: int,
    connections: int,
    repeat: int,
) -> None:
    for name, (q, raw_path) in queries.items():
        checks[name] = check_same_data(server.url, q, raw_path, shape_only=name in SHAPE_ONLY)
    for name, (query, raw_path) in queries.items():
        body = json.dumps({"query": query})
        runs: dict[str, list[dict[str, Any]]] = {mode: [] for mode in MODES}
        paths = {"graphql": "/graphql", "raw": raw_path}
        for i in range(repeat):
            for mode in MODES if i % 2 == 0 else MODES[::-1]:
                print(f"queries: {name} {mode} run {i + 1}/{repeat} ...", file=sys.stderr, flush=True)
                runs[mode].append(wrk(f"{server.url}{paths[mode]}", body, seconds, connections, folder, server.pid))
        best = {mode: max(r, key=lambda x: x["req_per_s"]) for mode, r in runs.items()}
        for mode in MODES:
            rows.append(
                {
                    "query": name,
                    "mode": mode,
                    **best[mode],
                    "req_per_s_all": [r["req_per_s"] for r in runs[mode]],
                    "ratio_to_raw": ratio(best[mode]["req_per_s"], best["raw"]["req_per_s"]),
                    "same_data": checks[name],
                }
            )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args("GraphQL queries vs raw JSONResponse, driven by wrk", argv, _extra)
    if shutil.which("wrk") is None:
        message = "wrk is not installed (apt-get install -y wrk); the query benchmark needs it"
        if args.smoke:
            print(f"SKIPPED: {message}")
            return {"skipped": message}
        raise SystemExit(message)
    seconds = 1 if args.smoke else args.seconds
    connections = 4 if args.smoke else args.connections
    repeat = 1 if args.smoke else args.repeat
    seed_rounds = 300 if args.smoke else args.seed_rounds
    rows: list[dict[str, Any]] = []
    with workdir("queries") as folder:
        db = folder / "queries.db"
        run(
            [
                ARENA,
                "--log-level",
                "warning",
                "run",
                "--feed",
                "sim:7",
                "--rounds",
                str(seed_rounds),
                "--db",
                str(db),
                "--quiet",
                "--agents",
                "momentum,mean_reversion,balanced,buy_and_hold,random",
            ],
            timeout=600,
        )
        checks: dict[str, str] = {}
        measure = {"rows": rows, "checks": checks, "seconds": seconds, "connections": connections, "repeat": repeat}
        with bench_server(folder, "queries", tick_interval=0.1, demo=True) as server:
            _measure(server, QUERIES, folder, **measure)
            fills = http_json(f"{server.url}/graphql", {"query": "{ trades(first: 1) { totalCount } }"})
        with bench_server(folder, "queries", tick_interval=0.1, demo=True, env={"ARENA_QUERY_CACHE": "0"}) as server:
            _measure(server, UNCACHED, folder, **measure)
    print(
        table(
            ["query", "mode", "req/s", "vs raw", "p50 ms", "p99 ms", "server CPU %", "errors"],
            [
                [
                    r["query"],
                    r["mode"],
                    r["req_per_s"],
                    r["ratio_to_raw"],
                    r["p50_ms"],
                    r["p99_ms"],
                    r["server_cpu_percent"],
                    r["errors"],
                ]
                for r in rows
            ],
            title=f"\nQueries: wrk -t1 -c{connections} -d{seconds}s, POST; best of {repeat}; "
            f"{fills['data']['trades']['totalCount']:,} stored fills",
        )
    )
    for name, verdict in checks.items():
        print(f"same data as GraphQL ({name}): {verdict}")
    result = {
        "seconds": seconds,
        "connections": connections,
        "repeat": repeat,
        "rows": rows,
        "same_data": checks,
        "stored_fills": fills["data"]["trades"]["totalCount"],
    }
    write_result("queries", result, args.out, args.smoke)
    return result


if __name__ == "__main__":
    main()

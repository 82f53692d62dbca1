"""Scale-out: what PostgreSQL, Redis and a second API replica cost and give, side by side in one run.

    python -m bench.scaleout [--smoke] [--fills 50000] [--clients 200] [--seconds 10]

1. Fills persisted per second: the same Recorder, the same events and batches (bench.persist), on
   an SQLite file (WAL, synchronous=NORMAL) and on a local PostgreSQL (fsync on,
   synchronous_commit off: neither waits for the disk at each commit, both survive a crash intact).
2. The latency the broker adds: an engine (`--role engine --broker`, the simulated market ticking
   every 20 ms) and two API replicas on that PostgreSQL and a local Redis. A reference client on
   the engine and the measured clients on the replicas subscribe to prices; for every quote, the
   time it reached a replica's client minus the time it reached the engine's own client (same
   clock, one process) is what the trip through Redis and the replica added (p50/p99).
3. Fan-out through two replicas vs one: the same clients, all on replica A, then half on each
   (same run, same feed): delivered quotes and that added latency.

Needs PostgreSQL (initdb, postgres) and redis-server; on 2 cores the engine, two replicas,
PostgreSQL, Redis and the clients share the machine, which the fan-out figures carry.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import websockets

from arena.testing.postgres import PostgresServer
from arena.testing.redis import RedisServer
from arena.testing.server import ServerProcess
from bench.common import parse_args, percentile, ratio, table, workdir, write_result
from bench.payloads import PRICES_SUBSCRIPTION
from bench.persist import make_events, recorder_run

MARK_SYMBOL, MARK_TIME = '"symbol":"', '"timestamp":"'


def _extra(parser: Any) -> None:
    parser.add_argument("--fills", type=int, default=50_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=2)


# --- 1. fills per second ------------------------------------------------------------------


def persist(postgres: PostgresServer, folder: Path, count: int, batch: int, repeat: int) -> list[dict[str, Any]]:
    created, fills = make_events(count)
    runs: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
    for i in range(repeat):
        for kind in ("sqlite", "postgresql") if i % 2 == 0 else ("postgresql", "sqlite"):
            print(f"scaleout: persist on {kind}, run {i + 1}/{repeat} ...", file=sys.stderr, flush=True)
            where = str(folder / f"persist-{i}.db") if kind == "sqlite" else postgres.create_database(f"persist{i}")
            runs[kind].append(asyncio.run(recorder_run(where, created, fills, batch)))
    best = {kind: min(seconds) for kind, seconds in runs.items()}
    return [
        {
            "store": kind,
            "fills": count,
            "batch": batch,
            "seconds": seconds,
            "fills_per_s": count / seconds,
            "ratio_to_sqlite": ratio(count / seconds, count / best["sqlite"]),
            "seconds_all": runs[kind],
        }
        for kind, seconds in best.items()
    ]


# --- 2 and 3. the broker's latency, fan-out through one and two replicas ---------------------


Key = tuple[str, str]


class Arrivals:
    """When quotes (symbol, feed timestamp) reached clients: the first arrival of each (`first`, the
    reference's) and every arrival (`all`, the measured clients')."""

    def __init__(self) -> None:
        self.on = False
        self.first: dict[Key, float] = {}
        self.all: list[tuple[Key, float]] = []
        self.errors: list[str] = []


def _key(message: str) -> tuple[str, str] | None:
    s, t = message.find(MARK_SYMBOL), message.find(MARK_TIME)
    if s < 0 or t < 0:
        return None
    s, t = s + len(MARK_SYMBOL), t + len(MARK_TIME)
    return message[s : message.index('"', s)], message[t : message.index('"', t)]


async def listen(url: str, arrivals: Arrivals, ready: asyncio.Event, total: list[int], want: int) -> None:
    """One client: graphql-transport-ws, the prices subscription; when each quote came."""
    try:
        async with websockets.connect(url, subprotocols=["graphql-transport-ws"], max_queue=None) as ws:
            await ws.send('{"type":"connection_init","payload":{}}')
            await ws.recv()
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": PRICES_SUBSCRIPTION}}))
            total[0] += 1
            if total[0] == want:
                ready.set()
            async for raw in ws:
                now = time.time()
                if not arrivals.on:
                    continue
                key = _key(raw if isinstance(raw, str) else raw.decode())
                if key is None:
                    continue
                arrivals.first.setdefault(key, now)
                arrivals.all.append((key, now))
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        arrivals.errors.append(f"{type(exc).__name__}: {exc}"[:200])


async def phase(reference_url: str, urls: Sequence[str], seconds: float) -> dict[str, Any]:
    """Clients on `urls` (one per entry) and one on the engine, for `seconds` of measurement."""
    reference, measured = Arrivals(), Arrivals()
    ready, total = asyncio.Event(), [0]
    want = len(urls) + 1
    tasks = [asyncio.create_task(listen(reference_url, reference, ready, total, want))]
    tasks += [asyncio.create_task(listen(u, measured, ready, total, want)) for u in urls]
    try:
        await asyncio.wait_for(ready.wait(), 120)
        await asyncio.sleep(1.0)  # warm up
        reference.on = measured.on = True
        await asyncio.sleep(seconds)
        reference.on = measured.on = False
        await asyncio.sleep(1.0)  # what was sent in the window still arrives
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    added = [(at - reference.first[key]) * 1000 for key, at in measured.all if key in reference.first]
    expected = len(reference.first) * len(urls)
    return {
        "clients": len(urls),
        "quotes_to_reference": len(reference.first),
        "delivered": len(measured.all),
        "delivered_share": len(measured.all) / expected if expected else None,
        "delivered_per_s": len(measured.all) / seconds,
        "added_ms_p50": percentile(added, 50),
        "added_ms_p99": percentile(added, 99),
        "errors": reference.errors[:5] + measured.errors[:5],
    }


def cluster_runs(
    postgres: PostgresServer, redis: RedisServer, folder: Path, clients: int, seconds: float
) -> dict[str, Any]:
    url = postgres.create_database("cluster")
    engine = ServerProcess(
        db=url,
        args=("--role", "engine", "--broker", redis.url, "--tick-interval", "0.02"),
        env={"ARENA_SUBSCRIBER_QUEUE": "100000"},
        token="bench-token",
        log_dir=folder,
    ).start()
    replicas = [
        ServerProcess(
            db=url,
            args=("--role", "api", "--broker", redis.url),
            env={"ARENA_SUBSCRIBER_QUEUE": "100000"},
            token="bench-token",
            log_dir=folder,
        ).start()
        for _ in range(2)
    ]
    try:
        deadline = time.monotonic() + 30
        while any(r.get("/health")[1].get("broker") != "connected" for r in replicas):
            if time.monotonic() > deadline:
                raise RuntimeError("the replicas did not reach Redis")
            time.sleep(0.1)
        one = [replicas[0].ws_url] * clients
        two = [replicas[i % 2].ws_url for i in range(clients)]
        print(f"scaleout: {clients} clients on one replica ...", file=sys.stderr, flush=True)
        on_one = asyncio.run(phase(engine.ws_url, one, seconds))
        print(f"scaleout: {clients} clients on two replicas ...", file=sys.stderr, flush=True)
        on_two = asyncio.run(phase(engine.ws_url, two, seconds))
    finally:
        for server in (*replicas, engine):
            server.stop()
    return {"one_replica": on_one, "two_replicas": on_two}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args("scale-out: PostgreSQL vs SQLite, the broker's latency, one vs two replicas", argv, _extra)
    count = 2000 if args.smoke else args.fills
    clients = 6 if args.smoke else args.clients
    seconds = 2.0 if args.smoke else args.seconds
    repeat = 1 if args.smoke else args.repeat
    postgres, redis = PostgresServer.find(), RedisServer.find()
    if postgres is None or redis is None:
        print("scaleout: needs PostgreSQL and redis-server (apt-get install postgresql redis-server)", file=sys.stderr)
        result: dict[str, Any] = {"skipped": "PostgreSQL or redis-server not installed"}
        write_result("scaleout", result, args.out, args.smoke)
        return result
    postgres.durable = True
    postgres.start()
    redis.start()
    try:
        with workdir("scaleout") as folder:
            stored = persist(postgres, folder, count, args.batch, repeat)
            fanout = cluster_runs(postgres, redis, folder, clients, seconds)
    finally:
        redis.remove()
        postgres.remove()
    _print(stored, fanout, args.batch, repeat)
    result = {"persist": stored, "fanout": fanout, "repeat": repeat}
    write_result("scaleout", result, args.out, args.smoke)
    return result


_COLUMNS = ("clients", "quotes_to_reference", "delivered_per_s", "delivered_share", "added_ms_p50", "added_ms_p99")


def _print(stored: list[dict[str, Any]], fanout: dict[str, Any], batch: int, repeat: int) -> None:
    print(
        table(
            ["store", "fills", "seconds", "fills/s", "vs sqlite"],
            [[r["store"], r["fills"], r["seconds"], r["fills_per_s"], r["ratio_to_sqlite"]] for r in stored],
            title=f"\nFills persisted by the Recorder in batches of {batch}; best of {repeat}",
        )
    )
    one, two = fanout["one_replica"], fanout["two_replicas"]
    print(
        table(
            ["replicas", "clients", "quotes", "delivered/s", "delivered share", "added p50 ms", "added p99 ms"],
            [[n, *(r[k] for k in _COLUMNS)] for n, r in (("1", one), ("2", two))],
            title="\nPrices through the broker: added latency vs the engine's own subscriber",
        )
    )
    print(f"two replicas / one, added latency p99: {ratio(two['added_ms_p99'], one['added_ms_p99'])}")


if __name__ == "__main__":
    main()

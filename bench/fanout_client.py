"""The fan-out load: N websocket clients in one asyncio process (the `websockets` library).

    python -m bench.fanout_client --base ws://127.0.0.1:8765 --path /graphql --clients 100 --seconds 10 --out r.json

Every client speaks graphql-transport-ws (connection_init, subscribe to PRICES_SUBSCRIPTION)
and records, for each `next` it receives during the measurement window, the feed timestamp
it carries and the wall-clock time of receipt. Stamps, CPU and RSS come from the bench
server's /_bench/stats at the start and the end of the window.

Phases: connect all (at most 64 handshakes at once) -> warm up -> measure -> close.
With --idle the clients subscribe, the server's RSS is read before and after (after a
gc), and nobody measures messages: that is the memory per idle subscriber.

Several client processes measure one window together: each touches `--ready` once its
clients are subscribed and waits for `--go` (which holds the window's start, wall clock);
only the one given `--stats` reads the server's stats. With `--mix` each client takes the
next of the 20 MIXED_SUBSCRIPTIONS; frames without a feed timestamp count as delivered
but carry no latency.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import resource
import time
import urllib.request
from typing import Any

import websockets

from bench.payloads import MIXED_SUBSCRIPTIONS, PRICES_SUBSCRIPTION

MARK = '"timestamp":"'
CONNECT_CONCURRENCY = 64


def _stats(http: str, **params: Any) -> dict[str, Any]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    with urllib.request.urlopen(f"{http}/_bench/stats?{query}", timeout=30) as response:
        return json.loads(response.read())


class Recorder:
    def __init__(self) -> None:
        self.on = False
        self.keys: list[str] = []
        self.times: list[float] = []
        self.before = 0  # messages outside the window
        self.other = 0  # messages in the window without a feed timestamp (mixed documents)
        self.mixed = False
        self.errors: list[str] = []
        self.closed = 0


async def client(
    url: str,
    rec: Recorder,
    subscribed: asyncio.Event,
    counter: list[int],
    total: int,
    gate: asyncio.Semaphore,
    compression: str | None,
    query: str,
) -> None:
    try:
        async with gate:
            ws = await websockets.connect(
                url,
                subprotocols=["graphql-transport-ws"],
                ping_interval=None,
                max_queue=None,
                compression=compression,
                open_timeout=60,
            )
            await ws.send('{"type":"connection_init","payload":{}}')
            ack = json.loads(await ws.recv())
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"expected connection_ack, got {ack}")
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        counter[0] += 1
        if counter[0] == total:
            subscribed.set()
        keys, times = rec.keys, rec.times
        async for message in ws:
            now = time.time()
            if rec.on:
                at = message.find(MARK)
                if at < 0:
                    if rec.mixed and '"type":"next"' in message:
                        rec.other += 1
                    else:
                        rec.errors.append(message[:200])
                    continue
                start = at + len(MARK)
                keys.append(message[start : message.index('"', start)])
                times.append(now)
            else:
                rec.before += 1
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        rec.errors.append(f"{type(exc).__name__}: {exc}"[:200])
    finally:
        rec.closed += 1


async def main(args: argparse.Namespace) -> dict[str, Any]:
    rec = Recorder()
    rec.mixed = args.mix
    subscribed = asyncio.Event()
    counter = [0]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    url = args.base + args.path
    compression = None if args.no_compression else "deflate"
    idle_before = _stats(args.http, gc=1) if args.idle else None
    started = time.monotonic()
    documents = MIXED_SUBSCRIPTIONS if args.mix else (PRICES_SUBSCRIPTION,)
    tasks = [
        asyncio.create_task(
            client(
                url,
                rec,
                subscribed,
                counter,
                args.clients,
                gate,
                compression,
                documents[(args.offset + i) % len(documents)],
            )
        )
        for i in range(args.clients)
    ]
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(subscribed.wait(), timeout=args.connect_timeout)
    connect_s = time.monotonic() - started
    window_start = await _agreed_start(args)
    result: dict[str, Any] = {
        "clients": args.clients,
        "subscribed": counter[0],
        "connect_s": connect_s,
        "compression": compression,
    }
    start: dict[str, Any] | None = None
    if args.idle:
        await asyncio.sleep(args.warmup)
        after = await asyncio.to_thread(_stats, args.http, gc=1)
        result["idle"] = {
            "rss_before": idle_before["rss"],
            "rss_after": after["rss"],  # type: ignore[index]
            "per_subscriber": (after["rss"] - idle_before["rss"]) / max(1, counter[0]),
        }  # type: ignore[index]
    else:
        await asyncio.sleep(max(0.0, window_start - time.time()))
        start = await asyncio.to_thread(_stats, args.http, reset=1) if args.stats else None
        own_start = _own_cpu()
        machine_start = _machine_jiffies()
        rec.on = True
        window_start = time.time()
        await asyncio.sleep(args.seconds)
        rec.on = False
        window_end = time.time()
        own_end = _own_cpu()
        machine_end = _machine_jiffies()
        result.update(
            {
                "window_s": window_end - window_start,
                "client_cpu_percent": 100 * (own_end - own_start) / (window_end - window_start),
                "machine_busy_percent": 100
                * (os.cpu_count() or 1)
                * (machine_end[0] - machine_start[0])
                / max(1, machine_end[1] - machine_start[1]),
                "window": [window_start, window_end],
            }
        )
    if start is not None:
        end = await asyncio.to_thread(_stats, args.http, stamps=1)
        wall = end["wall"] - start["wall"]
        result.update(
            {
                "server": {
                    "cpu_percent": 100 * (end["cpu_s"] - start["cpu_s"]) / wall if wall > 0 else None,
                    "rss_start": start["rss"],
                    "rss_end": end["rss"],
                    "loop": end["loop"],
                    "subscribers": end["subscribers"],
                    "raw_clients": end["raw_clients"],
                    "dropped": end["dropped"],
                    "rounds": end["rounds"] - start["rounds"],
                },
                "stamps": end["stamps"],
            }
        )
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    result.update({"errors": rec.errors[:20], "error_count": len(rec.errors), "closed_early": rec.closed - len(tasks)})
    result["received"] = {"keys": rec.keys, "times": rec.times, "outside_window": rec.before, "other": rec.other}
    return result


async def _agreed_start(args: argparse.Namespace) -> float:
    """When the measured window starts: after the warm-up, or when the orchestrator says (--go)."""
    if not args.go:
        return time.time() + args.warmup
    with open(args.ready, "w") as ready:
        ready.write("subscribed")
    deadline = time.monotonic() + args.connect_timeout
    while time.monotonic() < deadline:
        if os.path.exists(args.go):
            with open(args.go) as go:
                text = go.read().strip()
            if text:
                return float(text)
        await asyncio.sleep(0.05)
    raise TimeoutError("no go from the orchestrator")


def _machine_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of the whole machine, from /proc/stat."""
    with open("/proc/stat") as stat:
        values = [int(v) for v in stat.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return total - idle, total


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def cli() -> None:
    parser = argparse.ArgumentParser(description="fan-out load clients")
    parser.add_argument("--base", required=True, help="ws://host:port")
    parser.add_argument("--http", required=True, help="http://host:port of the bench server (for /_bench/stats)")
    parser.add_argument("--path", default="/graphql")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connect-timeout", type=float, default=120.0)
    parser.add_argument("--idle", action="store_true")
    parser.add_argument("--no-compression", action="store_true")
    parser.add_argument("--mix", action="store_true", help="the 20 mixed documents instead of prices")
    parser.add_argument("--offset", type=int, default=0, help="first client's index (into the mixed documents)")
    parser.add_argument("--ready", help="file to touch once subscribed (with --go)")
    parser.add_argument("--go", help="file to wait for: the window's start time")
    parser.add_argument("--no-stats", dest="stats", action="store_false", help="another process reads the stats")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, args.clients + 256)), hard))
    result = asyncio.run(main(args))
    with open(args.out, "w") as out:
        json.dump(result, out)


if __name__ == "__main__":
    cli()

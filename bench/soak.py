"""Soak: a live `arena serve --demo` with many websocket subscribers for a long time. Not run in CI.

    python -m bench.soak --minutes 30 --subscribers 200
    python -m bench.soak --minutes 0.2 --subscribers 20        # a quick check that it works

Starts `arena serve --demo` as a subprocess on a free loopback port with a throwaway SQLite file,
connects N subscribers from this process (asyncio + the `websockets` library, graphql-transport-ws),
each subscribed to `prices` and `trades`, and every `--every` seconds prints the server's resident
memory (VmRSS from /proc/PID/status), its CPU, and the messages received. At the end: RSS growth per
minute (least squares over the samples after the warm-up, and end minus start), messages per second,
disconnects and errors. A subscriber that is closed reconnects after a second and is counted.

Exit status: 0 when the server stayed up, answered /health, delivered messages to every subscriber
and exited 0 on SIGTERM; 1 otherwise. Linux only (it reads /proc).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import websockets

from arena.testing.server import ServerProcess

PRICES = "subscription { prices { symbol price timestamp } }"
TRADES = "subscription { trades { id agentName symbol side quantity price } }"
CONNECT_CONCURRENCY = 32


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc/PID/status (VmRSS, in KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, from /proc/PID/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def soak_server(workdir: Path, tick_interval: float | None) -> ServerProcess:
    """`arena serve --demo` on a free loopback port with a throwaway database and operator token."""
    args = ("--demo", *(("--tick-interval", str(tick_interval)) if tick_interval is not None else ()))
    return ServerProcess(db=workdir / "soak.db", args=args, token=secrets.token_urlsafe(16))


def health(server: ServerProcess, timeout: float = 5.0) -> dict | None:
    """The /health report, or None when the server does not answer it with 200."""
    try:
        status, report = server.get("/health", timeout)
    except OSError:
        return None
    return report if status == 200 and isinstance(report, dict) else None


def stop(server: ServerProcess) -> int:
    """SIGTERM, and the exit code; -9 when it had to be killed."""
    try:
        return server.stop(timeout=20.0)
    except subprocess.TimeoutExpired:
        return -9


@dataclass
class Counters:
    messages: dict[str, int] = field(default_factory=lambda: {"prices": 0, "trades": 0})
    connected: int = 0
    disconnects: int = 0
    errors: list[str] = field(default_factory=list)
    per_subscriber: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.messages.values())

    def error(self, text: str) -> None:
        if len(self.errors) < 50:
            self.errors.append(text)


async def subscriber(index: int, url: str, counters: Counters, gate: asyncio.Semaphore, stop: asyncio.Event) -> None:
    """One connection, two subscriptions, reading until told to stop; reconnects when closed."""
    kinds = {"p": "prices", "t": "trades"}
    while not stop.is_set():
        connected = False
        try:
            async with gate:
                ws = await websockets.connect(
                    url, subprotocols=["graphql-transport-ws"], ping_interval=None, open_timeout=30, max_size=2**22
                )
            try:
                await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
                ack = json.loads(await asyncio.wait_for(ws.recv(), 30))
                if ack.get("type") != "connection_ack":
                    raise RuntimeError(f"expected connection_ack, got {ack}")
                for sid, query in (("p", PRICES), ("t", TRADES)):
                    await ws.send(json.dumps({"id": sid, "type": "subscribe", "payload": {"query": query}}))
                connected = True
                counters.connected += 1
                while not stop.is_set():
                    try:
                        raw = await asyncio.wait_for(ws.recv(), 1.0)
                    except TimeoutError:
                        continue
                    message = json.loads(raw)
                    kind = message.get("type")
                    if kind == "next":
                        if message["payload"].get("errors"):
                            counters.error(f"subscriber {index}: {message['payload']['errors']}")
                        counters.messages[kinds.get(message.get("id"), "prices")] += 1
                        counters.per_subscriber[index] += 1
                    elif kind == "ping":
                        await ws.send(json.dumps({"type": "pong"}))
                    elif kind in ("error", "complete"):
                        counters.error(f"subscriber {index}: {message}")
            finally:
                await ws.close()
        except (OSError, websockets.WebSocketException, RuntimeError, TimeoutError, ValueError) as exc:
            if stop.is_set():
                break
            counters.error(f"subscriber {index}: {type(exc).__name__}: {exc}")
        finally:
            if connected:
                counters.connected -= 1
        if not stop.is_set():
            counters.disconnects += 1
            await asyncio.sleep(1.0)


def slope_per_minute(samples: list[tuple[float, int]]) -> float:
    """Least-squares slope of (seconds, KiB) samples, in KiB per minute."""
    if len(samples) < 2:
        return 0.0
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_r = sum(r for _, r in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    if var == 0:
        return 0.0
    return sum((t - mean_t) * (r - mean_r) for t, r in samples) / var * 60


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


async def soak(args: argparse.Namespace, server: ServerProcess) -> bool:
    duration = args.minutes * 60
    every = min(args.every, max(1.0, duration / 4))
    counters = Counters(per_subscriber=[0] * args.subscribers)
    stop = asyncio.Event()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    tasks = [asyncio.create_task(subscriber(i, server.ws_url, counters, gate, stop)) for i in range(args.subscribers)]

    started = time.monotonic()
    while counters.connected < args.subscribers and time.monotonic() - started < 60 and server.alive():
        await asyncio.sleep(0.1)
    print(
        f"{counters.connected}/{args.subscribers} subscribers connected in {time.monotonic() - started:.1f} s; "
        f"soaking for {args.minutes:g} min, a line every {every:g} s",
        flush=True,
    )

    t0 = time.monotonic()
    cpu0, messages0 = cpu_seconds(server.pid), counters.total
    samples: list[tuple[float, int]] = [(0.0, rss_kib(server.pid))]
    print(
        f"{'elapsed':>8} {'RSS':>10} {'CPU %':>6} {'msgs':>8} {'msg/s':>8} {'total':>10} {'subs':>5} "
        f"{'reconn':>6} {'errors':>6}"
    )
    print(
        f"{0:>7.0f}s {mib(samples[0][1]):>10} {'':>6} {0:>8} {'':>8} {0:>10} {counters.connected:>5} "
        f"{counters.disconnects:>6} {len(counters.errors):>6}",
        flush=True,
    )
    last_t, last_cpu, last_messages = t0, cpu0, messages0
    ok = True
    while True:
        now = time.monotonic()
        remaining = t0 + duration - now
        if remaining <= 0:
            break
        await asyncio.sleep(min(every - ((now - t0) % every), remaining))
        if not server.alive():
            print(f"the server died (exit {server.process.returncode}):\n{server.log(tail=40)}", flush=True)
            ok = False
            break
        now = time.monotonic()
        try:
            rss, cpu, total = rss_kib(server.pid), cpu_seconds(server.pid), counters.total
        except OSError:  # gone between the check and the read
            print(f"the server died:\n{server.log(tail=40)}", flush=True)
            ok = False
            break
        samples.append((now - t0, rss))
        span = now - last_t
        print(
            f"{now - t0:>7.0f}s {mib(rss):>10} {100 * (cpu - last_cpu) / span:>6.1f} {total - last_messages:>8} "
            f"{(total - last_messages) / span:>8.1f} {total - messages0:>10} {counters.connected:>5} "
            f"{counters.disconnects:>6} {len(counters.errors):>6}",
            flush=True,
        )
        last_t, last_cpu, last_messages = now, cpu, total

    elapsed = time.monotonic() - t0
    status = health(server) if server.alive() else None
    stop.set()
    await asyncio.wait(tasks, timeout=15)
    for task in tasks:
        task.cancel()

    received = counters.total - messages0
    silent = sum(1 for n in counters.per_subscriber if n == 0)
    # growth after the first quarter: start-up allocations and caches filling are not a leak
    settled = [s for s in samples if s[0] >= elapsed / 4] or samples
    print("\nsummary")
    print(f"  duration            {elapsed / 60:.2f} min, {args.subscribers} subscribers (prices + trades each)")
    print(
        f"  server RSS          {mib(samples[0][1])} -> {mib(samples[-1][1])} (peak {mib(max(r for _, r in samples))})"
    )
    print(
        f"  RSS growth          {slope_per_minute(settled) / 1024:+.2f} MiB/min (least squares after the first "
        f"quarter), {(samples[-1][1] - samples[0][1]) / 1024 / max(elapsed / 60, 1e-9):+.2f} MiB/min end to end"
    )
    print(
        f"  messages            {received} in all, {received / max(elapsed, 1e-9):.1f}/s "
        f"({received / max(elapsed, 1e-9) / max(args.subscribers, 1):.2f}/s per subscriber) "
        f"(since connecting: prices {counters.messages['prices']}, trades {counters.messages['trades']})"
    )
    try:
        print(
            f"  server CPU          {100 * (cpu_seconds(server.pid) - cpu0) / max(elapsed, 1e-9):.1f} % "
            "of a core on average"
        )
    except OSError:
        print("  server CPU          (server gone)")
    print(f"  reconnects          {counters.disconnects}; subscribers that got nothing: {silent}")
    print(f"  errors              {len(counters.errors)}")
    for text in counters.errors[:10]:
        print(f"    {text}")
    print(f"  /health at the end  {status if status is not None else 'NO ANSWER'}")
    if status is None or received == 0 or silent:
        ok = False
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Soak a live demo server with websocket subscribers (not for CI).")
    parser.add_argument("--minutes", type=float, default=30.0, help="how long to soak (default 30)")
    parser.add_argument("--subscribers", type=int, default=200, help="websocket connections (default 200)")
    parser.add_argument("--every", type=float, default=30.0, help="seconds between report lines (default 30)")
    parser.add_argument(
        "--tick-interval",
        type=float,
        default=None,
        help="seconds per market round for the server (default: the server's own, 1 s)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the throwaway folder (database and server log)")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.subscribers < 1 or args.every <= 0:
        parser.error("--minutes, --subscribers and --every must be positive")

    workdir = Path(tempfile.mkdtemp(prefix="arena-soak-"))
    server = soak_server(workdir, args.tick_interval)
    ok = False
    try:
        server.start()
        print(f"arena serve --demo: pid {server.pid}, {server.url}, database {workdir / 'soak.db'}", flush=True)
        ok = asyncio.run(soak(args, server))
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    finally:
        if server.process is not None:
            code = stop(server)
            print(f"  server exit code    {code} on SIGTERM")
            ok = ok and code == 0
        if args.keep or not ok:
            print(f"  kept                {workdir} (soak.db and the server's log)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""The bench server: the real arena app (create_app + build_state) plus taps for measuring.

    python -m bench.server --port 8765 --db /tmp/bench.db --tick-interval 0.1 --demo

What it adds, without touching the arena's code:

* two timing taps on the runner's event outbox: `tick` (the store sink is wrapped so the
  stamp is taken before the round is recorded, i.e. when the tick exists) and `publish`
  (a sink just before the publisher hands the events to pub/sub, after the commit). Both
  stamp the wall clock (time.time) per feed timestamp, so a client on the same machine
  can compute receipt time minus send time. The tick's own timestamp is feed time (the
  sim steps 60 s of it per round) and cannot be used.
* a loop-lag probe: a task that sleeps 5 ms and records how late it wakes up.
* /_bench/raw: the fan-out baseline. A plain Starlette websocket that speaks just enough
  graphql-transport-ws (ack, subscribe, pong) and broadcasts every tick's pre-serialized
  `next` frames (the same bytes the GraphQL `prices` subscription sends) to every client,
  with sequential sends from one task.
* /_bench/raw/leaderboard and /_bench/raw/trades: the query baselines. JSONResponse
  endpoints that read the same data through the same reader (state.reader), store functions
  (arena.store.fills) and type converters the resolvers use, and return exactly GraphQL's `data`.
* /_bench/stats: RSS, CPU seconds (all threads), loop lag, pub/sub counts, the stamps.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import resource
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Sequence
from contextlib import closing
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.types.execution import ExecutionResult

from arena.api.context import AppState, Context
from arena.api.fanout.frames import payload_of
from arena.api.fanout.groups import compact_json
from arena.api.ids import encode_cursor
from arena.api.schema import schema
from arena.api.types.agents import leaderboard_of
from arena.api.types.trades import Trade
from arena.app.outbox import EventOutbox, Sink
from arena.broker.publisher import Publisher
from arena.config import get_settings
from arena.domain.events import QuotesReceived
from arena.main import build_state, create_app
from arena.store import fills
from bench import payloads, sqlite_baseline
from bench.sqlite_baseline import nested_data

logger = logging.getLogger("bench.server")

PROBE_INTERVAL = 0.005
STALL_MS = 50.0
MAX_STAMPS = 200_000
TRADES_PAGE = 50  # payloads.TRADES_QUERY asks for trades(first: 50)


class LoopLagProbe:
    """How late a 5 ms sleep wakes up: the event loop's longest stall since the last reset."""

    def __init__(self) -> None:
        self.reset()
        self._gc_started = 0.0
        gc.callbacks.append(self._gc)

    def _gc(self, phase: str, info: dict[str, Any]) -> None:
        """How long the cyclic collector held the loop (a stall the loop itself cannot see coming)."""
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        pause = time.perf_counter() - self._gc_started
        self.gc_max = max(self.gc_max, pause)
        self.gc_total += pause
        self.gc_runs[info["generation"]] += 1

    def reset(self) -> None:
        self.gc_max = 0.0
        self.gc_total = 0.0
        self.gc_runs = [0, 0, 0]
        self.max_lag = 0.0
        self.stalls = 0  # wake-ups later than STALL_MS
        self.samples: deque[float] = deque(maxlen=100_000)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(PROBE_INTERVAL)
            lag = loop.time() - started - PROBE_INTERVAL
            self.samples.append(lag)
            if lag > self.max_lag:
                self.max_lag = lag
            if lag * 1000 > STALL_MS:
                self.stalls += 1

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.samples)
        p99 = ordered[int(0.99 * (len(ordered) - 1))] if ordered else 0.0
        return {
            "max_ms": self.max_lag * 1000,
            "p99_ms": p99 * 1000,
            "stalls_over_50ms": self.stalls,
            "samples": len(ordered),
            "gc_max_ms": self.gc_max * 1000,
            "gc_total_ms": self.gc_total * 1000,
            "gc_runs": list(self.gc_runs),
        }


class Stamps:
    """Wall-clock time per feed timestamp when the round reached the store and the publisher."""

    def __init__(self) -> None:
        self.tick: dict[str, float] = {}
        self.publish: dict[str, float] = {}

    @staticmethod
    def _keys(events: Sequence[Any]) -> list[str]:
        return [e.batch.timestamp.isoformat() for e in events if isinstance(e, QuotesReceived)]

    async def tick_sink(self, events: Sequence[Any]) -> None:
        now = time.time()
        for key in self._keys(events):
            self.tick.setdefault(key, now)
        if len(self.tick) > MAX_STAMPS:
            self.tick.clear()

    async def publish_sink(self, events: Sequence[Any]) -> None:
        now = time.time()
        for key in self._keys(events):
            self.publish.setdefault(key, now)
        if len(self.publish) > MAX_STAMPS:
            self.publish.clear()

    def before(self, store: Sink | None) -> Sink:
        """The store sink, stamping `tick` first (a retried batch keeps its first stamp)."""

        async def stamped(events: Sequence[Any]) -> None:
            await self.tick_sink(events)
            if store is not None:
                await store(events)

        return stamped


class RawClient:
    __slots__ = ("operation_id", "websocket")

    def __init__(self, websocket: WebSocket, operation_id: str) -> None:
        self.websocket = websocket
        self.operation_id = operation_id


class RawBroadcaster:
    """The fan-out baseline: one task sends each tick's frames to every client, in sequence."""

    def __init__(self) -> None:
        self.clients: set[RawClient] = set()
        self._pending: deque[list[str]] = deque(maxlen=1000)  # payloads of each pending tick
        self._wake = asyncio.Event()
        self.sent = 0

    async def sink(self, events: Sequence[Any]) -> None:
        if not self.clients:
            return
        for event in events:
            if isinstance(event, QuotesReceived):
                self._pending.append([payloads.price_payload(q) for q in event.batch.quotes])
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = self._pending.popleft()
                frames: dict[str, list[str]] = {}
                for client in tuple(self.clients):
                    texts = frames.get(client.operation_id)
                    if texts is None:  # serialize once per distinct operation id
                        texts = frames[client.operation_id] = [
                            payloads.next_frame(client.operation_id, p) for p in batch
                        ]
                    try:
                        for text in texts:
                            await client.websocket.send_text(text)
                            self.sent += 1
                    except Exception:
                        self.clients.discard(client)


class RawDocuments:
    """The mixed case's raw baseline: for each distinct document, its results computed once (one
    GraphQL run of it, alone, in the bench server) and every client of it sent the same frames
    from one loop, as `RawBroadcaster` does for prices."""

    def __init__(self, state: AppState) -> None:
        self.state = state
        self.clients: dict[str, set[RawClient]] = {}
        self._runs: dict[str, asyncio.Task[None]] = {}
        self.sent = 0

    def add(self, query: str, client: RawClient) -> None:
        self.clients.setdefault(query, set()).add(client)
        if query not in self._runs:
            self._runs[query] = asyncio.get_running_loop().create_task(self._run(query))

    def discard(self, client: RawClient) -> None:
        for clients in self.clients.values():
            clients.discard(client)

    async def _run(self, query: str) -> None:
        source = await schema.subscribe(query, context_value=Context(self.state, None))
        assert not isinstance(source, ExecutionResult), source.errors
        async for result in source:
            payload = compact_json(payload_of(result))
            frames: dict[str, str] = {}
            for client in tuple(self.clients.get(query, ())):
                text = frames.get(client.operation_id)
                if text is None:
                    text = frames[client.operation_id] = payloads.next_frame(client.operation_id, payload)
                try:
                    await client.websocket.send_text(text)
                    self.sent += 1
                except Exception:
                    self.clients[query].discard(client)


def tap(outbox: EventOutbox, stamps: Stamps, broadcaster: RawBroadcaster) -> None:
    """Stamp before the store and just before the publisher; feed the raw broadcast last."""
    outbox.store = stamps.before(outbox.store)
    after = outbox.after
    publisher_at = next(
        (i for i, sink in enumerate(after) if isinstance(getattr(sink, "__self__", None), Publisher)), len(after)
    )
    after.insert(publisher_at, stamps.publish_sink)
    after.append(broadcaster.sink)


async def leaderboard_json(state: AppState) -> dict[str, Any]:
    """What the `leaderboard` resolver returns, as GraphQL's `data` for payloads.LEADERBOARD_QUERY."""
    cid = await state.reader.current_competition_id()
    entries = leaderboard_of(cid, await state.reader.standings(cid)) if cid else []
    return payloads.leaderboard_data(entries)


async def trades_json(state: AppState) -> dict[str, Any]:
    """What the `trades(first: 50)` resolver returns, as GraphQL's `data` for payloads.TRADES_QUERY."""
    rows = await fills.list_fills(state.db, limit=TRADES_PAGE + 1)
    page = rows[:TRADES_PAGE]
    total = await fills.count_fills(state.db)
    return payloads.trades_data(
        [Trade.from_row(r) for r in page], [encode_cursor(r.id or 0) for r in page], total, len(rows) > TRADES_PAGE
    )


def build(settings_overrides: dict[str, Any]) -> tuple[Any, LoopLagProbe, RawBroadcaster]:
    settings = get_settings(**settings_overrides)
    state = build_state(settings)
    probe = LoopLagProbe()
    stamps = Stamps()
    broadcaster = RawBroadcaster()
    documents = RawDocuments(state)
    tap(state.runner.outbox, stamps, broadcaster)
    app = create_app(settings, state)

    async def stats(request: Request) -> JSONResponse:
        params = request.query_params
        if params.get("gc"):
            gc.collect()
            await asyncio.sleep(0.2)
            gc.collect()
        usage = resource.getrusage(resource.RUSAGE_SELF)
        body: dict[str, Any] = {
            "pid": os.getpid(),
            "wall": time.time(),
            "cpu_s": usage.ru_utime + usage.ru_stime,
            "rss": _rss(),
            "loop": probe.summary(),
            "subscribers": state.pubsub.subscriber_count(),
            "dropped": state.pubsub.dropped_total,
            "raw_clients": len(broadcaster.clients),
            "raw_sent": broadcaster.sent,
            "rounds": state.runner.rounds_total,
            "ticks": len(stamps.tick),
        }
        if params.get("stamps"):
            body["stamps"] = {"tick": stamps.tick, "publish": stamps.publish}
        if params.get("reset"):
            probe.reset()
        return JSONResponse(body)

    async def raw_ws(websocket: WebSocket) -> None:
        await websocket.accept(subprotocol="graphql-transport-ws")
        client: RawClient | None = None
        try:
            while True:
                message = await websocket.receive_json()
                kind = message.get("type")
                if kind == "connection_init":
                    await websocket.send_text('{"type":"connection_ack"}')
                elif kind == "subscribe" and client is None:
                    client = RawClient(websocket, str(message["id"]))
                    query = (message.get("payload") or {}).get("query", payloads.PRICES_SUBSCRIPTION)
                    if query != payloads.PRICES_SUBSCRIPTION:
                        documents.add(query, client)  # the mixed case: no snapshot, only the live frames
                        continue
                    for quote in state.runner.prices.quotes():
                        await websocket.send_text(
                            payloads.next_frame(client.operation_id, payloads.price_payload(quote))
                        )
                    broadcaster.clients.add(client)
                elif kind == "ping":
                    await websocket.send_text('{"type":"pong"}')
                elif kind == "complete":
                    break
        except WebSocketDisconnect:
            pass
        finally:
            if client is not None:
                broadcaster.clients.discard(client)
                documents.discard(client)

    async def raw_leaderboard(request: Request) -> JSONResponse:
        return JSONResponse({"data": await leaderboard_json(state)})

    async def raw_trades(request: Request) -> JSONResponse:
        return JSONResponse({"data": await trades_json(state)})

    async def raw_nested(request: Request) -> JSONResponse:
        return JSONResponse({"data": await asyncio.to_thread(_with_sqlite3, settings.db, nested_data)})

    async def sqlite3_trades(request: Request) -> JSONResponse:
        return JSONResponse({"data": await asyncio.to_thread(_with_sqlite3, settings.db, sqlite_baseline.trades_data)})

    async def sqlite3_leaderboard(request: Request) -> JSONResponse:
        return JSONResponse(
            {"data": await asyncio.to_thread(_with_sqlite3, settings.db, sqlite_baseline.leaderboard_data)}
        )

    app.router.routes[0:0] = [
        Route("/_bench/stats", stats),
        WebSocketRoute("/_bench/raw", raw_ws),
        Route("/_bench/raw/leaderboard", raw_leaderboard, methods=["GET", "POST"]),
        Route("/_bench/raw/trades", raw_trades, methods=["GET", "POST"]),
        Route("/_bench/sqlite3/nested", raw_nested, methods=["GET", "POST"]),
        Route("/_bench/sqlite3/trades", sqlite3_trades, methods=["GET", "POST"]),
        Route("/_bench/sqlite3/leaderboard", sqlite3_leaderboard, methods=["GET", "POST"]),
    ]
    return app, probe, broadcaster


def _with_sqlite3(db: str, read: Callable[[sqlite3.Connection], dict[str, Any]]) -> dict[str, Any]:
    """A query's data read with plain sqlite3 (a connection per request, as a small service
    without a pool would)."""
    path = db.removeprefix("sqlite+aiosqlite:///")
    with closing(sqlite3.connect(path)) as connection:
        return read(connection)


def _rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--tick-interval", type=float, default=0.1)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--feed", default="sim")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app, probe, broadcaster = build(
        dict(
            host=args.host,
            port=args.port,
            db=args.db,
            tick_interval=args.tick_interval,
            demo=args.demo or None,
            feed=args.feed,
            log_level="warning",
        )
    )
    # `arena serve`'s uvicorn settings, except that permessage-deflate stays negotiable: bench.fanout measures both
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        lifespan="on",
        ws_ping_interval=20,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)

    async def serve() -> None:
        tasks = [asyncio.create_task(probe.run()), asyncio.create_task(broadcaster.run())]
        try:
            await server.serve()
        finally:
            for task in tasks:
                task.cancel()

    # the loop factory uvicorn itself uses (uvloop when installed)
    from uvicorn._compat import asyncio_run

    with contextlib.suppress(KeyboardInterrupt):
        asyncio_run(serve(), loop_factory=config.get_loop_factory())


if __name__ == "__main__":
    main()

"""The bench server: the real arena app (create_app + build_state) plus taps for measuring.

    python -m bench.server --port 8765 --db /tmp/bench.db --tick-interval 0.1 --demo

What it adds, without touching the arena's code:

* two timing sinks on the runner: `tick` (first sink: the round's events are handed to
  the sinks, i.e. the tick exists) and `publish` (just before the publisher hands the
  events to pub/sub). Both stamp the wall clock (time.time) per feed timestamp, so a
  client on the same machine can compute receipt time minus send time. The tick's own
  timestamp is feed time (the sim steps 60 s of it per round) and cannot be used.
* a loop-lag probe: a task that sleeps 5 ms and records how late it wakes up.
* /_bench/raw: the fan-out baseline. A plain Starlette websocket that speaks just enough
  graphql-transport-ws (ack, subscribe, pong) and broadcasts every tick's pre-serialized
  `next` frames (the same bytes the GraphQL `prices` subscription sends) to every client,
  with sequential sends from one task.
* /_bench/raw/leaderboard and /_bench/raw/trades: the query baselines. JSONResponse
  endpoints that read the same data through the same readers/repository functions the
  resolvers use, and return exactly GraphQL's `data`.
* /_bench/stats: RSS, CPU seconds (all threads), loop lag, pub/sub counts, the stamps.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import resource
import time
from collections import deque
from collections.abc import Sequence
from typing import Any

import uvicorn
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from arena.config import get_settings
from arena.domain.events import QuotesReceived
from arena.main import build_state, create_app
from bench import payloads

logger = logging.getLogger("bench.server")

PROBE_INTERVAL = 0.005
STALL_MS = 50.0
MAX_STAMPS = 200_000


class LoopLagProbe:
    """How late a 5 ms sleep wakes up: the event loop's longest stall since the last reset."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
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
        return {"max_ms": self.max_lag * 1000, "p99_ms": p99 * 1000, "stalls_over_50ms": self.stalls,
                "samples": len(ordered)}


class Stamps:
    """Wall-clock time per feed timestamp when the round reached the sinks and the publisher."""

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


class RawClient:
    __slots__ = ("websocket", "operation_id")

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
                        texts = frames[client.operation_id] = [payloads.next_frame(client.operation_id, p) for p in batch]
                    try:
                        for text in texts:
                            await client.websocket.send_text(text)
                            self.sent += 1
                    except Exception:  # noqa: BLE001 - a gone client just leaves
                        self.clients.discard(client)


def cached_rules_schema() -> Any:
    """A what-if: the arena schema with its validation rules built once instead of per request.

    arena.api.schema passes QueryDepthLimiter and MaxAliasesLimiter as factories; each
    instance creates a new rule class, so the rule tuple that keys Strawberry's
    ValidationCache differs on every request and validation is never cached. This copy
    adds the same rules, created once, through AddValidationRules (same limits, same
    other extensions). It mirrors arena.api.schema.build_schema by hand.
    """
    import strawberry
    from strawberry.extensions import AddValidationRules, MaxTokensLimiter, ParserCache, ValidationCache
    from strawberry.extensions.max_aliases import create_validator as aliases_rule
    from strawberry.extensions.query_depth_limiter import create_validator as depth_rule

    from arena.api import schema as arena_schema
    from arena.api.errors import ErrorCodes
    from arena.api.types import Agent, Competition, Trade

    rules = [depth_rule(arena_schema.MAX_DEPTH, None, None), aliases_rule(arena_schema.MAX_ALIASES)]
    live = arena_schema.schema
    return strawberry.Schema(
        query=live.query, mutation=live.mutation, subscription=live.subscription, types=[Agent, Trade, Competition],
        extensions=[ErrorCodes, ParserCache, ValidationCache, lambda: AddValidationRules(rules),
                    lambda: MaxTokensLimiter(max_token_count=arena_schema.MAX_TOKENS)],
    )


def build(settings_overrides: dict[str, Any]) -> tuple[Any, LoopLagProbe, RawBroadcaster]:
    settings = get_settings(**settings_overrides)
    state = build_state(settings)
    probe = LoopLagProbe()
    stamps = Stamps()
    broadcaster = RawBroadcaster()
    sinks = state.runner._sinks  # noqa: SLF001 - the bench harness taps the runner's sink list
    publisher_at = next((i for i, s in enumerate(sinks) if type(getattr(s, "__self__", None)).__name__ == "Publisher"),
                        len(sinks))
    sinks.insert(publisher_at, stamps.publish_sink)
    sinks.insert(0, stamps.tick_sink)
    sinks.append(broadcaster.sink)
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
                    for quote in sorted(state.runner.latest.values(), key=lambda q: q.symbol):
                        await websocket.send_text(payloads.next_frame(client.operation_id, payloads.price_payload(quote)))
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

    async def raw_leaderboard(request: Request) -> JSONResponse:
        from arena.api import readers
        from arena.api.context import Context

        ctx = Context(state=state, request=request)
        cid = await readers.current_competition_id(ctx)
        entries = readers.leaderboard_of(await readers.agents_of(ctx, cid)) if cid else []
        return JSONResponse({"data": payloads.leaderboard_data(entries)})

    async def raw_trades(request: Request) -> JSONResponse:
        from arena.api import readers
        from arena.api.context import Context
        from arena.api.ids import encode_cursor
        from arena.api.types import Trade
        from arena.store import repository

        ctx = Context(state=state, request=request)
        limit = 50
        rows = await repository.list_fills(state.db, competition_id=None, agent_id=None, symbol=None,
                                           before_id=None, limit=limit + 1)
        page = rows[:limit]
        names: dict[str, str] = {}
        for cid in {r.competition_id for r in page}:
            names.update(await readers.agent_names(ctx, cid))
        trades = [Trade.from_row(r, names.get(r.agent_id, r.agent_id)) for r in page]
        total = await repository.count_fills(state.db, competition_id=None, agent_id=None, symbol=None)
        data = payloads.trades_data(trades, [encode_cursor(r.id or 0) for r in page], total, len(rows) > limit)
        return JSONResponse({"data": data})

    from arena.main import ArenaGraphQL

    what_if = ArenaGraphQL(state, max_subscriptions_per_connection=settings.max_subscriptions_per_connection)
    what_if.schema = cached_rules_schema()

    app.router.routes[0:0] = [
        Route("/_bench/stats", stats),
        Route("/_bench/graphql-cached-rules", what_if),
        WebSocketRoute("/_bench/graphql-cached-rules", what_if),
        WebSocketRoute("/_bench/raw", raw_ws),
        Route("/_bench/raw/leaderboard", raw_leaderboard, methods=["GET", "POST"]),
        Route("/_bench/raw/trades", raw_trades, methods=["GET", "POST"]),
    ]
    return app, probe, broadcaster


def _rss() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--tick-interval", type=float, default=0.1)
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--feed", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app, probe, broadcaster = build(dict(port=args.port, db=args.db, tick_interval=args.tick_interval,
                                         demo=args.demo or None, feed=args.feed, log_level="warning"))
    # the same uvicorn settings as `arena serve`
    config = uvicorn.Config(app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="on",
                            ws_ping_interval=20, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)

    async def serve() -> None:
        tasks = [asyncio.create_task(probe.run()), asyncio.create_task(broadcaster.run())]
        try:
            await server.serve()
        finally:
            for task in tasks:
                task.cancel()

    from uvicorn._compat import asyncio_run  # the loop factory uvicorn itself uses (uvloop when installed)

    try:
        asyncio_run(serve(), loop_factory=config.get_loop_factory())
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()

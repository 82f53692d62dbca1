"""A stand-in for Coinbase that a server in another process can connect to: a real websocket server
(the `websockets` library) speaking Advanced Trade's ticker and heartbeats channels, and a real HTTP
server for its REST candles, both on free loopback ports in a thread of their own.

The test steers it from outside: `pause()` (stay connected but silent), `resume()`, `drop()` (close
every connection). It keeps what it sent (`sent_prices`) and what clients sent (`subscribes`), so a
test can check prices arrived exactly and that a reconnect subscribed again.

Prices walk deterministically (a zig-zag with a drift, several decimals): strategies find signals
in them and every one is a distinct exact decimal.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from arena.testing.server import free_port
from tests.feeds.live.test_coinbase import ticker as coinbase_ticker

BASES = {"BTC-USD": Decimal("43012.17"), "ETH-USD": Decimal("2291.433"), "SOL-USD": Decimal("101.2087")}
CANDLE_MINUTES = 60  # the REST candles the stand-in knows of: the last hour


def price_at(product: str, step: int) -> Decimal:
    base = BASES.get(product, Decimal("10.0001"))
    phase = step % 40
    swing = phase if phase < 20 else 40 - phase
    return base + base * Decimal("0.0007") * swing + Decimal("0.01") * step


def ticker(product: str, price: Decimal, at: datetime) -> dict[str, Any]:
    return coinbase_ticker(product, str(price), change="-1.25", at=at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))


def heartbeat(counter: int) -> dict[str, Any]:
    return {
        "channel": "heartbeats",
        "client_id": "",
        "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "sequence_num": counter,
        "events": [{"current_time": datetime.now(UTC).isoformat(), "heartbeat_counter": counter}],
    }


@dataclass
class CoinbaseStandIn:
    step_seconds: float = 0.05  # between ticker messages (each product every step)
    ws_port: int = field(default_factory=free_port)
    rest_port: int = field(default_factory=free_port)
    sent_prices: dict[str, list[Decimal]] = field(default_factory=dict)
    subscribes: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    candle_requests: int = 0
    _paused: threading.Event = field(default_factory=threading.Event)
    _generation: int = 0  # drop() moves it on; handlers of an older generation close
    _injected: list[str] = field(default_factory=list)  # raw texts for the next step, on every connection
    injected_sent: int = 0
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _loop: asyncio.AbstractEventLoop | None = None
    _thread: threading.Thread | None = None
    _stop: asyncio.Event | None = None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.ws_port}"

    @property
    def rest_url(self) -> str:
        return f"http://127.0.0.1:{self.rest_port}"

    def args(self, symbols: str = "BTC-USD,ETH-USD") -> tuple[str, ...]:
        """`arena serve` flags for a live feed from this stand-in."""
        return ("--feed", f"live:coinbase:{symbols}", "--live-url", self.url, "--live-rest-url", self.rest_url)

    # --- steering, from the test's thread -------------------------------------------------

    def start(self, timeout: float = 10.0) -> CoinbaseStandIn:
        ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve(ready)), daemon=True)
        self._thread.start()
        if not ready.wait(timeout):
            raise RuntimeError("the Coinbase stand-in did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)

    def pause(self) -> None:
        self._paused.set()

    def resume(self) -> None:
        self._paused.clear()

    def drop(self) -> None:
        with self._changed:
            self._generation += 1

    def inject(self, *texts: str) -> None:
        """Send these raw texts (malformed, hostile, ...) on the next step, before the tickers."""
        with self._changed:
            self._injected.extend(texts)

    def last_price(self, product: str) -> Decimal:
        with self._changed:
            return self.sent_prices[product][-1]

    def all_prices(self, product: str) -> set[Decimal]:
        with self._changed:
            return set(self.sent_prices.get(product, ()))

    def wait_for(self, predicate: Callable[[CoinbaseStandIn], bool], timeout: float = 15.0, what: str = "") -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the Coinbase stand-in timed out waiting for {what or predicate}")
                self._changed.wait(left)

    def _count_injected(self, count: int) -> None:
        self._note(lambda: setattr(self, "injected_sent", self.injected_sent + count))

    def _note(self, change: Callable[[], None]) -> None:
        with self._changed:
            change()
            self._changed.notify_all()

    # --- serving, in its own thread ----------------------------------------------------------

    async def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        rest = uvicorn.Server(
            uvicorn.Config(
                Starlette(routes=[Route("/{path:path}", self._candles)]),
                host="127.0.0.1",
                port=self.rest_port,
                log_level="warning",
                lifespan="off",
            )
        )
        rest_task = asyncio.create_task(rest.serve())
        async with serve(self._connection, "127.0.0.1", self.ws_port):
            while not rest.started:
                await asyncio.sleep(0.01)
            ready.set()
            await self._stop.wait()
        rest.should_exit = True
        await rest_task

    async def _connection(self, ws: ServerConnection) -> None:
        with self._changed:
            generation = self._generation
        self._note(lambda: setattr(self, "connections", self.connections + 1))
        products: list[str] = []
        reading = asyncio.create_task(self._read(ws, products))
        try:
            step = 0
            beats = 0
            last_beat = 0.0
            # the reader ends when the client goes: a paused handler sends nothing that would notice
            while not reading.done():
                with self._changed:
                    dropped = self._generation != generation
                if dropped:
                    await ws.close(1011, "stand-in dropped the connection")
                    return
                if not self._paused.is_set() and products:
                    with self._changed:
                        raw, self._injected[:] = list(self._injected), []
                    for text in raw:
                        await ws.send(text)
                    if raw:
                        self._count_injected(len(raw))
                    now = datetime.now(UTC)
                    for product in list(products):
                        price = price_at(product, step)
                        await ws.send(json.dumps(ticker(product, price, now)))
                        self._note(lambda p=product, v=price: self.sent_prices.setdefault(p, []).append(v))
                    step += 1
                    if time.monotonic() - last_beat >= 1.0:
                        beats += 1
                        last_beat = time.monotonic()
                        await ws.send(json.dumps(heartbeat(beats)))
                await asyncio.sleep(self.step_seconds)
        except ConnectionClosed:
            return
        finally:
            reading.cancel()

    async def _read(self, ws: ServerConnection, products: list[str]) -> None:
        try:
            async for raw in ws:
                message = json.loads(raw)
                self._note(lambda m=message: self.subscribes.append(m))
                if message.get("type") == "subscribe" and message.get("channel") == "ticker":
                    products.extend(message.get("product_ids", []))
                    await ws.send(
                        json.dumps(
                            {
                                "channel": "subscriptions",
                                "timestamp": datetime.now(UTC).isoformat(),
                                "sequence_num": 0,
                                "events": [{"subscriptions": {"ticker": products}}],
                            }
                        )
                    )
        except ConnectionClosed:
            pass

    async def _candles(self, request: Request) -> JSONResponse:
        self._note(lambda: setattr(self, "candle_requests", self.candle_requests + 1))
        product = request.url.path.rstrip("/").split("/")[-2]
        end = datetime.fromtimestamp(int(request.query_params.get("end", time.time())), UTC)
        first = end.replace(second=0, microsecond=0) - timedelta(minutes=CANDLE_MINUTES)
        candles = []
        for minute in range(CANDLE_MINUTES):  # newest first, as Coinbase answers
            start = first + timedelta(minutes=CANDLE_MINUTES - 1 - minute)
            close = price_at(product, -CANDLE_MINUTES + (CANDLE_MINUTES - 1 - minute))
            candles.append(
                {
                    "start": str(int(start.timestamp())),
                    "low": str(close),
                    "high": str(close),
                    "open": str(close),
                    "close": str(close),
                    "volume": "1.5",
                }
            )
        return JSONResponse({"candles": candles})

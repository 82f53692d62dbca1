"""A fake exchange for tests: a real websocket server on a free loopback port (the `websockets`
library), and optionally a real HTTP server for its REST candles.

Each connection runs `script(conn)`: a coroutine that talks to the arena's client as the exchange
would. It sees what the client sent (`conn.received`, `await conn.expect(n)`; `await conn.round_trip()`
for "and nothing more"), can send texts or JSON, close the connection, or stay silent.
`server.connections` counts them, so a test can wait for a reconnect."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from arena.testing.server import free_port


@dataclass
class FakeConnection:
    ws: ServerConnection
    received: list[str] = field(default_factory=list)
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def send(self, message: str | dict[str, Any] | list[Any]) -> None:
        await self.ws.send(message if isinstance(message, str) else json.dumps(message))

    async def expect(self, count: int, timeout: float = 5.0) -> list[str]:
        """Wait until the client has sent `count` messages; returns them."""

        async def until() -> None:
            while len(self.received) < count:
                self._arrived.clear()
                await self._arrived.wait()

        await asyncio.wait_for(until(), timeout)
        return self.received[:count]

    async def round_trip(self, timeout: float = 5.0) -> None:
        """Ping the client and wait for its pong: whatever it sent before has reached `received`."""
        await asyncio.wait_for(await self.ws.ping(), timeout)

    async def close(self, code: int = 1000, reason: str = "") -> None:
        await self.ws.close(code, reason)

    async def silence(self) -> None:
        """Say nothing more (but keep the connection open and answer pings) until the client leaves."""
        await self.ws.wait_closed()

    def _got(self, text: str) -> None:
        self.received.append(text)
        self._arrived.set()


Script = Callable[[FakeConnection], Awaitable[None]]


@dataclass
class FakeExchange:
    port: int
    connections: list[FakeConnection] = field(default_factory=list)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def wait_for_connections(self, count: int, timeout: float = 10.0) -> FakeConnection:
        """Wait until `count` connections have been opened; returns the latest."""

        async def until() -> None:
            while len(self.connections) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout)
        return self.connections[count - 1]

    def _opened(self, conn: FakeConnection) -> None:
        self.connections.append(conn)
        self._changed.set()


@asynccontextmanager
async def fake_exchange(script: Script, *, ping_interval: float | None = 20.0) -> AsyncIterator[FakeExchange]:
    """Serve `script` on every connection; `ping_interval` is the server's own pings (Binance: 20 s)."""
    port = free_port()
    exchange = FakeExchange(port)

    async def handler(ws: ServerConnection) -> None:
        conn = FakeConnection(ws)
        exchange._opened(conn)

        async def reader() -> None:
            try:
                async for message in ws:
                    conn._got(message if isinstance(message, str) else message.decode())
            except ConnectionClosed:
                pass

        reading = asyncio.create_task(reader())
        try:
            await script(conn)
            await ws.wait_closed()
        except ConnectionClosed:
            pass
        finally:
            reading.cancel()

    async with serve(handler, "127.0.0.1", port, ping_interval=ping_interval):
        yield exchange

"""The scenarios every exchange's feed must pass, whatever its messages look like: no fresh quote,
no round; a closed connection is opened and subscribed again; a silent one goes stale and is
replaced; a bad message is counted once and changes nothing.

Each exchange's test module describes its exchange (an `ExchangeUnderTest`: its symbols, what its
client sends on connecting, how a ticker and a heartbeat are written, how its feed is built) and
runs the scenarios with it by subclassing `ExchangeScenarios` (`class TestCoinbase(ExchangeScenarios)`,
so a test's id says which exchange). Its bad-message fixtures, written from that exchange's documented
formats, stay in that module: its parametrized test hands each to `a_bad_message_changes_nothing`.
What only one exchange does (its subscribe message, its pings, its REST candles) is tested there too.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest

from arena.domain.market import QuoteBatch
from arena.errors import ArenaError, ErrorCode
from arena.feeds.base import FeedStatus
from arena.feeds.live.feed import ExchangeFeed
from arena.feeds.live.protocol import Exchange

from .fake_exchange import FakeConnection, FakeExchange, Script, fake_exchange
from .observer import CountingObserver

Message = str | dict[str, Any]  # as `FakeConnection.send` takes it: a text, or JSON to write
SECOND = timedelta(seconds=1)


def iso(at: datetime) -> str:
    """A UTC time as the exchanges write it: 2023-02-09T20:30:37Z."""
    return at.isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class ExchangeUnderTest:
    """What the shared scenarios need to know of an exchange."""

    protocol: Callable[[], Exchange]  # Coinbase, Binance, Kraken
    symbols: tuple[str, str]  # the feed's two symbols, as the arena names them
    names: tuple[str, str]  # the same two, as the exchange names them in its messages
    ticker: Callable[[str, str, datetime], Message]  # a ticker of (exchange's name, price, exchange time)
    start: datetime  # the exchange time of a scenario's first tick (the fixtures' "time_backwards" is before it)
    refused: Sequence[tuple[str, ...]]  # symbol lists its feed refuses to be built for (unknown, misspelt)
    subscribe: Sequence[dict[str, Any]] = ()  # what the client sends on connecting, in order (none: the URL says)
    path: str = "/"  # the path the client connects to
    heartbeat: Message | None = None  # a message that carries no price, if the exchange sends one

    def feed(self, url: str, observer: CountingObserver | None = None, **options: Any) -> ExchangeFeed:
        """The feed under test: both symbols, a round every 50 ms."""
        exchange = self.protocol()
        return ExchangeFeed(
            exchange,
            self.symbols,
            feed_id=f"live:{exchange.name}",
            url=url,
            interval=0.05,
            observer=observer,
            **options,
        )

    def times(self) -> Iterator[datetime]:
        """Exchange times a second apart from `start`, only ever forward."""
        return (self.start + n * SECOND for n in itertools.count())

    async def assert_subscribed(self, conn: FakeConnection) -> None:
        """The client asked for just what the exchange needs on `conn`: its path, its subscribe messages."""
        await conn.expect(len(self.subscribe))
        await conn.round_trip()  # and nothing more
        assert conn.ws.request is not None and conn.ws.request.path == self.path
        assert [json.loads(m) for m in conn.received] == list(self.subscribe)


async def next_batch(stream: AsyncIterator[QuoteBatch], timeout: float = 5.0) -> QuoteBatch:
    return await asyncio.wait_for(anext(stream), timeout)


@dataclass
class Run:
    """A feed under test (`live`) connected to a fake exchange (`server`)."""

    server: FakeExchange
    live: ExchangeFeed
    stream: AsyncIterator[QuoteBatch]

    async def next_batch(self, timeout: float = 5.0) -> QuoteBatch:
        return await next_batch(self.stream, timeout)

    async def prices_until(self, price: Decimal) -> list[Decimal]:
        """The prices of every round's quotes, in order, up to the round that brings `price`."""
        prices: list[Decimal] = []
        while price not in prices:
            prices += [q.price for q in (await self.next_batch()).quotes]
        return prices


@asynccontextmanager
async def connected(
    exchange: ExchangeUnderTest,
    script: Script,
    observer: CountingObserver | None = None,
    *,
    ping_interval: float | None = 20.0,
    **options: Any,
) -> AsyncIterator[Run]:
    """`exchange`'s feed (with `options`) against a fake exchange running `script` on every
    connection (pinging every `ping_interval` s); the feed is closed on the way out."""
    async with fake_exchange(script, ping_interval=ping_interval) as server:
        live = exchange.feed(server.url, observer, **options)
        try:
            yield Run(server, live, aiter(live.stream()))
        finally:
            await live.aclose()


class ExchangeScenarios:
    """The shared scenarios, as tests of a subclass that says which `exchange` they run against and
    gives its `bad_messages`: (message, the kind it is counted as) pairs, a test case each."""

    exchange: ClassVar[ExchangeUnderTest]
    bad_messages: ClassVar[Sequence[tuple[Message, str]]]

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        if metafunc.function.__name__ == "test_bad_messages_are_counted_and_never_reach_the_rounds":
            metafunc.parametrize(("message", "kind"), self.bad_messages)

    def test_unknown_symbols_are_refused_before_connecting(self) -> None:
        assert self.exchange.refused
        for symbols in self.exchange.refused:
            protocol = self.exchange.protocol()
            with pytest.raises(ArenaError) as err:
                ExchangeFeed(protocol, symbols, feed_id=f"live:{protocol.name}")
            assert err.value.code is ErrorCode.UNKNOWN_SYMBOL, symbols

    async def test_no_fresh_quote_no_round(self) -> None:
        exchange = self.exchange
        btc = exchange.names[0]

        async def script(conn: FakeConnection) -> None:
            await conn.expect(len(exchange.subscribe))
            await conn.send(exchange.ticker(btc, "100", exchange.start))
            if exchange.heartbeat is None:
                await asyncio.sleep(1)  # a second without a ticker: the feed is open but nothing traded
            else:
                for _ in range(20):  # heartbeats only, for a second: the feed is alive but nothing traded
                    await asyncio.sleep(0.05)
                    await conn.send(exchange.heartbeat)
            await conn.send(exchange.ticker(btc, "101", exchange.start + SECOND))
            await conn.silence()

        observer = CountingObserver()
        async with connected(exchange, script, observer) as run:
            first, second = await run.next_batch(), await run.next_batch()
        assert [q.price for q in first.quotes] == [Decimal(100)]
        assert [q.price for q in second.quotes] == [Decimal(101)]
        assert second.timestamp - first.timestamp >= timedelta(seconds=0.9)
        assert observer.messages["heartbeat"] == (0 if exchange.heartbeat is None else 20)
        assert observer.messages["ticker"] == 2 and observer.bad == {}

    async def test_a_closed_connection_is_opened_again_and_subscribed_again(self) -> None:
        exchange = self.exchange

        async def script(conn: FakeConnection) -> None:
            await conn.expect(len(exchange.subscribe))
            await conn.send(exchange.ticker(exchange.names[0], "100", exchange.start))
            await asyncio.sleep(0.2)
            await conn.close(1001, "going away")  # as Binance does at the 24 h mark

        observer = CountingObserver()
        async with connected(exchange, script, observer) as run:
            await run.next_batch()
            second = await run.server.wait_for_connections(2, timeout=10)
            await exchange.assert_subscribed(second)  # subscribed again, just as the first time
            await run.next_batch()  # and prices come again
        first = run.server.connections[0]
        assert first.ws.request is not None and first.ws.request.path == exchange.path
        assert [json.loads(m) for m in first.received] == list(exchange.subscribe)
        assert observer.reconnects >= 1

    async def test_a_silent_server_goes_stale_then_the_feed_reconnects_and_is_live_again(self) -> None:
        exchange = self.exchange
        btc = exchange.names[0]
        times = exchange.times()  # across connections too
        connections = itertools.count(1)

        async def script(conn: FakeConnection) -> None:
            await conn.expect(len(exchange.subscribe))
            await conn.send(exchange.ticker(btc, "100", next(times)))
            if next(connections) == 1:
                await conn.silence()  # the first connection goes quiet
            while True:  # the next ones do not
                await asyncio.sleep(0.05)
                if exchange.heartbeat is None:
                    await conn.send(exchange.ticker(btc, "101", next(times)))
                else:
                    await conn.send(exchange.heartbeat)

        seen: list[FeedStatus] = []
        async with connected(exchange, script, stale_after=0.3) as run:
            await run.next_batch()
            for _ in range(400):
                seen.append(run.live.status)
                if len(run.server.connections) >= 2 and run.live.status is FeedStatus.LIVE:
                    break
                await asyncio.sleep(0.01)
        assert FeedStatus.STALE in seen and FeedStatus.RECONNECTING in seen
        assert seen[-1] is FeedStatus.LIVE and len(run.server.connections) >= 2

    async def test_bad_messages_are_counted_and_never_reach_the_rounds(self, message: Message, kind: str) -> None:
        """Between a good tick and another, `message` changes nothing and is counted once, as `kind`."""
        exchange = self.exchange

        async def script(conn: FakeConnection) -> None:
            await conn.expect(len(exchange.subscribe))
            await conn.send(exchange.ticker(exchange.names[0], "100", exchange.start))
            await asyncio.sleep(0.1)
            await conn.send(message)
            await conn.send(exchange.ticker(exchange.names[1], "7", exchange.start + SECOND))
            await conn.silence()

        observer = CountingObserver()
        async with connected(exchange, script, observer) as run:
            prices = await run.prices_until(Decimal(7))
        assert prices == [Decimal(100), Decimal(7)], "the bad message changed nothing"
        assert observer.bad == {kind: 1}

"""The exchange connection itself: it stops when told even mid-flood, survives a decoder bug, and
forgets an old drop once it delivers again."""

from __future__ import annotations

import asyncio
import json

from arena.feeds.base import FeedStatus
from arena.feeds.live.coinbase import Coinbase
from arena.feeds.live.feed import ExchangeFeed
from arena.feeds.live.protocol import Decoded

from .fake_exchange import FakeConnection, fake_exchange
from .observer import CountingObserver
from .test_coinbase import feed, next_batch, ticker


async def test_closing_a_feed_stops_it_even_while_messages_pour_in():
    async def flood(conn: FakeConnection) -> None:
        await conn.expect(2)
        message = json.dumps(ticker("BTC-USD", "100"))
        while True:
            await conn.send(message)
            await asyncio.sleep(0)

    async with fake_exchange(flood) as exchange:
        for attempt in range(20):  # a cancel landing just as a message arrives must not be lost
            live = feed(exchange.url)
            stream = aiter(live.stream())
            await next_batch(stream)
            await asyncio.sleep(0.001 * (attempt % 7))
            await live.aclose()
            assert [t for t in asyncio.all_tasks() if t.get_name() == "live-coinbase" and not t.done()] == []


class BuggyCoinbase(Coinbase):
    """Coinbase with a decoder that breaks on one message, as a bug would."""

    def decode(self, text: str) -> Decoded:
        if "boom" in text:
            raise ZeroDivisionError("a bug")
        return super().decode(text)


async def test_a_decoder_bug_loses_the_message_not_the_feed():
    async def script(conn: FakeConnection) -> None:
        await conn.expect(2)
        await conn.send('{"boom": 1}')
        await conn.send('{"boom": 2}')
        await conn.send(ticker("BTC-USD", "100.5"))
        await conn.silence()

    observer = CountingObserver()
    async with fake_exchange(script) as exchange:
        live = ExchangeFeed(
            BuggyCoinbase(), ("BTC-USD",), feed_id="live:coinbase", url=exchange.url, interval=0.05, observer=observer
        )
        stream = aiter(live.stream())
        try:
            batch = await next_batch(stream)
        finally:
            await live.aclose()
        assert len(exchange.connections) == 1  # the connection stayed up
    assert [str(q.price) for q in batch.quotes] == ["100.5"]
    assert observer.bad["decoder_error"] == 2


async def test_an_old_drop_is_forgotten_once_the_feed_delivers_again():
    async def script(conn: FakeConnection) -> None:
        await conn.expect(2)
        if len(exchange.connections) == 1:
            await conn.close(1011, "maintenance")
            return
        while True:
            await conn.send(ticker("BTC-USD", "101"))
            await asyncio.sleep(0.02)

    async with fake_exchange(script) as exchange:
        live = feed(exchange.url)
        stream = aiter(live.stream())
        errors = []
        batch = asyncio.ensure_future(next_batch(stream, timeout=10))  # starts the connection
        try:
            await exchange.wait_for_connections(1)
            for _ in range(200):
                errors.append(live.error)
                if live.error is not None:
                    break
                await asyncio.sleep(0.01)
            await batch
        finally:
            await live.aclose()
    assert errors[-1] is not None and "maintenance" in errors[-1]
    assert live.status is FeedStatus.LIVE and live.error is None

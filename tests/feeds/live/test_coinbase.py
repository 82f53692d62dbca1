"""Coinbase Advanced Trade against a fake Coinbase: subscriptions, exact prices, heartbeats,
reconnects, silence, bad messages, and the REST candles of the first day."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from arena.errors import ArenaError, ErrorCode
from arena.feeds.base import FeedStatus
from arena.feeds.live.coinbase import Coinbase
from arena.feeds.live.feed import ExchangeFeed

from .fake_exchange import FakeConnection, fake_exchange
from .observer import CountingObserver


def ticker(
    product: str, price: str, change: str = "-4.15775596190603", at: str = "2023-02-09T20:30:37.167359596Z"
) -> dict:
    return {
        "channel": "ticker",
        "client_id": "",
        "timestamp": at,
        "sequence_num": 0,
        "events": [
            {
                "type": "update",
                "tickers": [
                    {
                        "type": "ticker",
                        "product_id": product,
                        "price": price,
                        "volume_24_h": "16038.28770938",
                        "low_24_h": "21835.29",
                        "high_24_h": "23011.18",
                        "low_52_w": "15460",
                        "high_52_w": "48240",
                        "price_percent_chg_24_h": change,
                    }
                ],
            }
        ],
    }


HEARTBEAT = {
    "channel": "heartbeats",
    "client_id": "",
    "timestamp": "2023-06-23T20:31:26.122969572Z",
    "sequence_num": 0,
    "events": [
        {"current_time": "2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.525857105", "heartbeat_counter": 3049}
    ],
}
SUBSCRIPTIONS = {
    "channel": "subscriptions",
    "client_id": "",
    "timestamp": "2023-02-09T20:32:00Z",
    "sequence_num": 1,
    "events": [{"subscriptions": {"ticker": ["BTC-USD", "ETH-USD"], "heartbeats": ["heartbeats"]}}],
}


def feed(url: str, observer: CountingObserver | None = None, **options) -> ExchangeFeed:
    return ExchangeFeed(
        Coinbase(),
        ("BTC-USD", "ETH-USD"),
        feed_id="live:coinbase",
        url=url,
        interval=0.05,
        observer=observer,
        **options,
    )


async def next_batch(stream, timeout: float = 5.0):
    return await asyncio.wait_for(anext(stream), timeout)


async def test_subscribes_to_the_ticker_and_heartbeats_and_turns_ticks_into_exact_quotes():
    async def script(conn: FakeConnection) -> None:
        await conn.expect(2)
        await conn.send(SUBSCRIPTIONS)
        await conn.send(ticker("BTC-USD", "21932.98765432"))
        await conn.send(ticker("BTC-USD", "21933.01"))  # the last of a round wins
        await conn.send(ticker("ETH-USD", "1543.2"))
        await conn.send(HEARTBEAT)
        await conn.silence()

    observer = CountingObserver()
    async with fake_exchange(script) as exchange:
        live = feed(exchange.url, observer)
        stream = aiter(live.stream())
        try:
            batch = await next_batch(stream)
            while len(batch.quotes) < 2:  # the ticks may straddle a round
                batch = await next_batch(stream)
        finally:
            await live.aclose()
        sent = [json.loads(m) for m in exchange.connections[0].received[:2]]
    assert sent == [
        {"type": "subscribe", "product_ids": ["BTC-USD", "ETH-USD"], "channel": "ticker"},
        {"type": "subscribe", "channel": "heartbeats"},
    ]
    by_symbol = batch.by_symbol()
    assert by_symbol["BTC-USD"].price == Decimal("21933.01") and by_symbol["ETH-USD"].price == Decimal("1543.2")
    assert by_symbol["BTC-USD"].change_pct == pytest.approx(-4.15775596190603)
    assert {q.timestamp for q in batch.quotes} == {batch.timestamp}  # stamped with the round
    assert observer.messages["ticker"] == 3 and observer.messages["heartbeat"] == 1
    assert live.status is FeedStatus.LIVE and live.last_quote_age() is not None


async def test_no_fresh_quote_no_round():
    async def script(conn: FakeConnection) -> None:
        await conn.expect(2)
        await conn.send(ticker("BTC-USD", "100"))
        for _ in range(20):  # heartbeats only, for a second: the feed is alive but nothing traded
            await asyncio.sleep(0.05)
            await conn.send(HEARTBEAT)
        await conn.send(ticker("BTC-USD", "101"))
        await conn.silence()

    async with fake_exchange(script) as exchange:
        live = feed(exchange.url)
        stream = aiter(live.stream())
        try:
            first, second = await next_batch(stream), await next_batch(stream)
        finally:
            await live.aclose()
    assert [q.price for q in first.quotes] == [Decimal(100)]
    assert [q.price for q in second.quotes] == [Decimal(101)]
    assert second.timestamp - first.timestamp >= timedelta(seconds=0.9)


async def test_a_closed_connection_is_opened_again_and_subscribed_again():
    async def script(conn: FakeConnection) -> None:
        await conn.expect(2)
        await conn.send(ticker("BTC-USD", "100"))
        await asyncio.sleep(0.2)
        await conn.close(1001, "going away")

    observer = CountingObserver()
    async with fake_exchange(script) as exchange:
        live = feed(exchange.url, observer)
        stream = aiter(live.stream())
        try:
            await next_batch(stream)
            second = await exchange.wait_for_connections(2, timeout=10)
            assert len(await second.expect(2)) == 2  # subscribed again
            await next_batch(stream)  # and prices come again
        finally:
            await live.aclose()
    assert observer.reconnects >= 1


async def test_a_silent_server_goes_stale_then_the_feed_reconnects_and_is_live_again():
    async def script(conn: FakeConnection) -> None:
        await conn.expect(2)
        await conn.send(ticker("BTC-USD", "100"))
        if len(exchange.connections) == 1:
            await conn.silence()  # the first connection goes quiet
        while True:
            await asyncio.sleep(0.05)
            await conn.send(HEARTBEAT)

    async with fake_exchange(script) as exchange:
        live = feed(exchange.url, stale_after=0.3)
        stream = aiter(live.stream())
        seen = []
        try:
            await next_batch(stream)
            for _ in range(400):
                seen.append(live.status)
                if len(exchange.connections) >= 2 and live.status is FeedStatus.LIVE:
                    break
                await asyncio.sleep(0.01)
        finally:
            await live.aclose()
    assert FeedStatus.STALE in seen and FeedStatus.RECONNECTING in seen
    assert seen[-1] is FeedStatus.LIVE and len(exchange.connections) >= 2


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("this is not json", "malformed_json"),
        ("[1, 2, 3]", "unknown_type"),
        (json.dumps({"channel": "level9"}), "unknown_type"),
        (json.dumps({"channel": "ticker", "timestamp": "2023-02-09T20:30:37Z"}), "missing_field"),
        (json.dumps(ticker("BTC-USD", "abc")), "not_a_number"),
        (json.dumps(ticker("BTC-USD", "0")), "bad_price"),
        (json.dumps(ticker("BTC-USD", "-5")), "bad_price"),
        (json.dumps(ticker("BTC-USD", "NaN")), "not_a_number"),
        (json.dumps(ticker("DOGE-USD", "1")), "unknown_symbol"),
        (json.dumps(ticker("BTC-USD", "99", at="2023-02-09T20:30:36Z")), "time_backwards"),
    ],
)
async def test_bad_messages_are_counted_and_never_reach_the_rounds(message, kind):
    async def script(conn: FakeConnection) -> None:
        await conn.expect(2)
        await conn.send(ticker("BTC-USD", "100", at="2023-02-09T20:30:37Z"))
        await asyncio.sleep(0.1)
        await conn.send(message)
        await conn.send(ticker("ETH-USD", "7", at="2023-02-09T20:30:38Z"))
        await conn.silence()

    observer = CountingObserver()
    async with fake_exchange(script) as exchange:
        live = feed(exchange.url, observer)
        stream = aiter(live.stream())
        prices = []
        try:
            while Decimal(7) not in prices:
                prices += [q.price for q in (await next_batch(stream)).quotes]
        finally:
            await live.aclose()
    assert prices == [Decimal(100), Decimal(7)], "the bad message changed nothing"
    assert observer.bad == {kind: 1}


def test_unknown_symbols_are_refused_before_connecting():
    with pytest.raises(ArenaError) as err:
        ExchangeFeed(Coinbase(), ("BTC-USD", "btc-usd"), feed_id="live:coinbase")
    assert err.value.code is ErrorCode.UNKNOWN_SYMBOL
    with pytest.raises(ArenaError):
        ExchangeFeed(Coinbase(), ("BTC-JPY",), feed_id="live:coinbase")


async def test_the_first_day_comes_from_the_rest_candles(candle_server):
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    candles = [
        {
            "start": str(int((end - timedelta(minutes=m)).timestamp())),
            "low": "1",
            "high": "3",
            "open": "2",
            "close": f"{100 + m}.5",
            "volume": "2.25",
        }
        for m in range(1, 1441)
    ]
    async with candle_server(lambda request: {"candles": [c for c in candles if _within(c, request)]}) as rest:
        live = ExchangeFeed(Coinbase(), ("BTC-USD",), feed_id="live:coinbase", rest_url=rest.url)
        quotes = await live.history()
    assert len(quotes) == 1440 and rest.requests  # a day of minutes, in requests of at most 350
    assert all(len(r["candles"]) <= 350 for r in rest.responses)
    assert [q.timestamp for q in quotes] == sorted(q.timestamp for q in quotes)
    assert quotes[-1].price == Decimal("101.5") and quotes[-1].volume == Decimal("2.25")
    assert quotes[-1].timestamp == end - timedelta(minutes=1)


def _within(candle: dict, request) -> bool:
    return int(request.query_params["start"]) <= int(candle["start"]) < int(request.query_params["end"])

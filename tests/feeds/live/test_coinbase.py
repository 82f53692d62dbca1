"""Coinbase Advanced Trade against a fake Coinbase: subscriptions, exact prices, heartbeats,
reconnects, silence, bad messages, and the REST candles of the first day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from arena.feeds.base import FeedStatus
from arena.feeds.live.coinbase import Coinbase
from arena.feeds.live.feed import ExchangeFeed

from .fake_exchange import FakeConnection
from .observer import CountingObserver
from .scenarios import ExchangeScenarios, ExchangeUnderTest, connected, iso
from .scenarios import next_batch as next_batch


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
SUBSCRIBE = [
    {"type": "subscribe", "product_ids": ["BTC-USD", "ETH-USD"], "channel": "ticker"},
    {"type": "subscribe", "channel": "heartbeats"},
]
COINBASE = ExchangeUnderTest(
    Coinbase,
    symbols=("BTC-USD", "ETH-USD"),
    names=("BTC-USD", "ETH-USD"),
    ticker=lambda product, price, at: ticker(product, price, at=iso(at)),
    start=datetime(2023, 2, 9, 20, 30, 37, tzinfo=UTC),
    refused=[("BTC-USD", "btc-usd"), ("BTC-JPY",)],
    subscribe=SUBSCRIBE,
    heartbeat=HEARTBEAT,
)
feed = COINBASE.feed  # test_connection.py takes `feed`, `next_batch` and `ticker` from here


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
    async with connected(COINBASE, script, observer) as run:
        batch = await run.next_batch()
        while len(batch.quotes) < 2:  # the ticks may straddle a round
            batch = await run.next_batch()
    sent = [json.loads(m) for m in run.server.connections[0].received[:2]]
    assert sent == SUBSCRIBE
    by_symbol = batch.by_symbol()
    assert by_symbol["BTC-USD"].price == Decimal("21933.01") and by_symbol["ETH-USD"].price == Decimal("1543.2")
    assert by_symbol["BTC-USD"].change_pct == pytest.approx(-4.15775596190603)
    assert {q.timestamp for q in batch.quotes} == {batch.timestamp}  # stamped with the round
    assert observer.messages["ticker"] == 3 and observer.messages["heartbeat"] == 1
    assert run.live.status is FeedStatus.LIVE and run.live.last_quote_age() is not None


BAD_MESSAGES = [
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
]


class TestCoinbase(ExchangeScenarios):
    """The scenarios every exchange shares, in Coinbase's messages."""

    exchange = COINBASE
    bad_messages = BAD_MESSAGES


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

"""Binance spot against a fake Binance: the ticker streams named in the URL, exact prices, the
server's pings, reconnects, silence, bad messages, and the REST klines of the first day."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from arena.errors import ArenaError, ErrorCode
from arena.feeds.base import FeedStatus
from arena.feeds.live.binance import Binance
from arena.feeds.live.exchanges import exchange_named
from arena.feeds.live.feed import ExchangeFeed
from arena.feeds.live.protocol import BadMessage

from .fake_exchange import FakeConnection
from .observer import CountingObserver
from .scenarios import ExchangeScenarios, ExchangeUnderTest, connected

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
AT = 1672515782136  # an event time, epoch ms
PATH = "/stream?streams=btcusdt@ticker/ethusdt@ticker"


def ticker(symbol: str, price: str, change: str = "-4.15775596190603", at: int = AT, **data) -> dict:
    """A combined-stream event of `<symbol>@ticker`, as the docs show it."""
    return {
        "stream": f"{symbol.lower()}@ticker",
        "data": {
            "e": "24hrTicker",
            "E": at,
            "s": symbol,
            "p": "-921.45",
            "P": change,
            "w": "21690.10824514",
            "x": "22161.42",
            "c": price,
            "Q": "0.00187",
            "b": "21932.97",
            "B": "0.91376",
            "a": "21932.99",
            "A": "1.39472",
            "o": "22161.43",
            "h": "23011.18",
            "l": "21835.29",
            "v": "16038.28770938",
            "q": "347885392.39715411",
            "O": at - 86_400_000,
            "C": at,
            "F": 2548166981,
            "L": 2549154043,
            "n": 987063,
            **data,
        },
    }


ACK = {"result": None, "id": 1}
SHUTDOWN = {"stream": "!serverShutdown", "data": {"e": "serverShutdown", "E": AT}}
ERROR = {"code": 2, "msg": "Invalid request: unknown variant", "id": 1}


BINANCE = ExchangeUnderTest(
    Binance,
    symbols=("BTC-USDT", "ETH-USDT"),
    names=("BTCUSDT", "ETHUSDT"),
    ticker=lambda symbol, price, at: ticker(symbol, price, at=(at - EPOCH) // timedelta(milliseconds=1)),
    start=EPOCH + timedelta(milliseconds=AT),
    refused=[("BTC-USD",), ("BTC-USDT", "btc-usdt"), ("BTCUSDT",), ("BTC-JPY",)],
    path=PATH,  # the URL names the streams: nothing is sent
)


async def test_the_url_names_the_ticker_streams_nothing_is_sent_and_ticks_become_exact_quotes():
    async def script(conn: FakeConnection) -> None:
        await conn.send(ticker("BTCUSDT", "21932.98765432"))
        await conn.send(ticker("BTCUSDT", "21933.01"))  # the last of a round wins
        await conn.send(ticker("ETHUSDT", "1543.2", change="2.5"))
        await conn.silence()

    observer = CountingObserver()
    async with connected(BINANCE, script, observer) as run:
        batch = await run.next_batch()
        while len(batch.quotes) < 2:  # the ticks may straddle a round
            batch = await run.next_batch()
        conn = run.server.connections[0]
        await conn.round_trip()
    assert conn.ws.request is not None and conn.ws.request.path == PATH
    assert conn.received == [], "the URL names the streams: nothing is sent"
    by_symbol = batch.by_symbol()
    assert by_symbol["BTC-USDT"].price == Decimal("21933.01") and by_symbol["ETH-USDT"].price == Decimal("1543.2")
    assert by_symbol["BTC-USDT"].change_pct == pytest.approx(-4.15775596190603)
    assert by_symbol["ETH-USDT"].change_pct == pytest.approx(2.5)
    assert {q.timestamp for q in batch.quotes} == {batch.timestamp}  # stamped with the round
    assert observer.messages == {"ticker": 3} and not observer.bad
    assert run.live.status is FeedStatus.LIVE and run.live.last_quote_age() is not None


async def test_acks_errors_and_shutdown_notices_are_counted_and_carry_no_prices():
    async def script(conn: FakeConnection) -> None:
        for message in (ACK, ERROR, SHUTDOWN, ticker("BTCUSDT", "100")):
            await conn.send(message)
        await conn.silence()

    observer = CountingObserver()
    async with connected(BINANCE, script, observer) as run:
        batch = await run.next_batch()
    assert [q.price for q in batch.quotes] == [Decimal(100)]
    assert observer.messages == {"ack": 1, "error": 1, "shutdown": 1, "ticker": 1} and not observer.bad
    assert run.live.error == "Invalid request: unknown variant (code 2)"


async def test_the_servers_pings_are_answered_and_the_connection_stays_open():
    prices = [Decimal(100 + n) for n in range(12)]

    async def script(conn: FakeConnection) -> None:
        conn.ws.ping_timeout = 0.5  # a client that does not answer is dropped within 0.7 s
        for n, price in enumerate(prices):  # 1.2 s of tickers: six of the server's ping intervals
            await conn.send(ticker("BTCUSDT", str(price), at=AT + n * 100))
            await asyncio.sleep(0.1)
        await conn.silence()

    observer = CountingObserver()
    async with connected(BINANCE, script, observer, ping_interval=0.2) as run:
        seen = await run.prices_until(prices[-1])
    assert len(run.server.connections) == 1 and observer.reconnects == 0
    assert run.server.connections[0].ws.latency > 0  # pongs came back for the server's pings
    assert seen[-1] == prices[-1] and seen == sorted(seen)


BAD_MESSAGES = [
    ("this is not json", "malformed_json"),
    ("[1, 2, 3]", "unknown_type"),
    (json.dumps({"stream": "btcusdt@ticker"}), "unknown_type"),
    (json.dumps({"data": ticker("BTCUSDT", "99")["data"]}), "unknown_type"),
    (json.dumps({"stream": "btcusdt@ticker", "data": [1]}), "unknown_type"),
    (json.dumps({"stream": "btcusdt@kline_1m", "data": {"e": "kline", "E": AT, "s": "BTCUSDT"}}), "unknown_type"),
    (json.dumps({"stream": "btcusdt@bookTicker", "data": {"u": 1, "s": "BTCUSDT", "b": "1"}}), "missing_field"),
    (
        json.dumps({"stream": "btcusdt@ticker", "data": {"e": "24hrTicker", "E": AT, "s": "BTCUSDT"}}),
        "missing_field",
    ),
    (json.dumps(ticker("BTCUSDT", "abc")), "not_a_number"),
    (json.dumps(ticker("BTCUSDT", "0")), "bad_price"),
    (json.dumps(ticker("BTCUSDT", "-5")), "bad_price"),
    (json.dumps(ticker("BTCUSDT", "NaN")), "not_a_number"),
    (json.dumps(ticker("BTCUSDT", "99", change="lots")), "not_a_number"),
    (json.dumps(ticker("BTCUSDT", "99", E="yesterday")), "not_a_number"),
    (json.dumps(ticker("BTCUSDT", "99", at=10**20)), "bad_time"),
    (json.dumps(ticker("BTCUSDT", "99", at=0)), "bad_time"),
    (json.dumps(ticker("DOGEUSDT", "1")), "unknown_symbol"),
    (json.dumps(ticker("BTCUSDT", "99", s="btcusdt")), "unknown_symbol"),
    (json.dumps(ticker("BTCUSDT", "99", at=AT - 1000)), "time_backwards"),
]


class TestBinance(ExchangeScenarios):
    """The scenarios every exchange shares, in Binance's messages."""

    exchange = BINANCE
    bad_messages = BAD_MESSAGES


def test_a_usd_symbol_is_refused_with_the_usdt_one_to_ask_for_instead():
    with pytest.raises(ArenaError) as err:
        ExchangeFeed(Binance(), ("BTC-USD",), feed_id="live:binance")
    assert err.value.code is ErrorCode.UNKNOWN_SYMBOL
    assert "USDT" in err.value.message and "BTC-USDT" in err.value.message


def test_the_registry_knows_binance_and_its_default_streams():
    binance = exchange_named("binance")
    assert isinstance(binance, Binance)
    assert [binance.exchange_symbol(s) for s in binance.default_symbols] == ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    assert binance.connect_url(binance.websocket_url, binance.default_symbols) == (
        "wss://stream.binance.com:9443/stream?streams=btcusdt@ticker/ethusdt@ticker/solusdt@ticker"
    )
    for given in ("wss://data-stream.binance.vision/", "wss://data-stream.binance.vision/ws"):
        assert (
            binance.connect_url(given, ("BTC-FDUSD",))
            == "wss://data-stream.binance.vision/stream?streams=btcfdusd@ticker"
        )
    assert binance.subscriptions(binance.default_symbols) == [] and binance.client_ping is None


async def test_the_first_day_comes_from_the_rest_klines(candle_server):
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    minute = 60_000

    def kline(m: int) -> list:
        opened = int((end - timedelta(minutes=m)).timestamp()) * 1000
        return [opened, "2", "3", "1", f"{100 + m}.5", "2.25", opened + minute - 1, "225", 10, "1", "100", "0"]

    klines = sorted((kline(m) for m in range(1, 1441)), key=lambda k: k[0])  # oldest first, as Binance answers

    def answer(request) -> list:
        q = request.query_params
        chosen = [k for k in klines if int(q["startTime"]) <= k[0] <= int(q["endTime"])]  # both inclusive
        return chosen[: int(q["limit"])]

    async with candle_server(answer) as rest:
        live = ExchangeFeed(Binance(), ("BTC-USDT",), feed_id="live:binance", rest_url=rest.url)
        quotes = await live.history()
    params = [dict(r.query_params) for r in rest.requests]
    assert [r.url.path for r in rest.requests] == ["/api/v3/klines"] * 2  # 1440 minutes: 1000 + 440
    assert [(p["symbol"], p["interval"], p["limit"]) for p in params] == [("BTCUSDT", "1m", "1000")] * 2
    assert int(params[0]["startTime"]) == klines[0][0] and int(params[1]["endTime"]) == klines[-1][0] + minute - 1
    assert int(params[1]["startTime"]) == int(params[0]["endTime"]) + 1  # no gap, no overlap
    assert [len(r) for r in rest.responses] == [1000, 440]
    assert len(quotes) == 1440 and [q.timestamp for q in quotes] == sorted(q.timestamp for q in quotes)
    assert quotes[0].price == Decimal("1540.5") and quotes[0].timestamp == end - timedelta(minutes=1440)
    assert quotes[-1].price == Decimal("101.5") and quotes[-1].volume == Decimal("2.25")
    assert quotes[-1].timestamp == end - timedelta(minutes=1)


@pytest.mark.parametrize(
    "payload",
    [
        {"code": -1121, "msg": "Invalid symbol."},
        [[1672515780000, "1", "2", "0.5", "1.5"]],  # no volume
        ["1672515780000"],
    ],
)
def test_klines_that_are_not_klines_are_refused(payload):
    with pytest.raises(BadMessage) as bad:
        Binance().parse_history("BTC-USDT", payload)
    assert bad.value.kind == "missing_field"

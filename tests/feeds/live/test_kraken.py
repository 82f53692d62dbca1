"""Kraken websocket v2 against a fake Kraken: the subscription and its acknowledgements, exact
prices from JSON numbers, heartbeats, the client's pings, reconnects, silence, bad messages, and
the REST candles of the first day."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from arena.feeds.base import FeedStatus
from arena.feeds.live import connection
from arena.feeds.live.exchanges import exchange_named
from arena.feeds.live.feed import ExchangeFeed
from arena.feeds.live.kraken import Kraken
from arena.feeds.live.protocol import BadMessage

from .fake_exchange import FakeConnection
from .observer import CountingObserver
from .scenarios import ExchangeScenarios, ExchangeUnderTest, connected, iso

SUBSCRIBE = {"method": "subscribe", "params": {"channel": "ticker", "symbol": ["BTC/USD", "ETH/USD"]}, "req_id": 1}
STATUS = {
    "channel": "status",
    "type": "update",
    "data": [{"api_version": "v2", "connection_id": 13834774380200032777, "system": "online", "version": "2.0.0"}],
}
HEARTBEAT = {"channel": "heartbeat"}
PONG = {"method": "pong", "time_in": "2023-09-24T14:10:23.799685Z", "time_out": "2023-09-24T14:10:23.799703Z"}


def ack(symbol: str, error: str | None = None) -> dict:
    answer = {
        "method": "subscribe",
        "success": error is None,
        "time_in": "2023-09-25T09:04:31.742599Z",
        "time_out": "2023-09-25T09:04:31.742648Z",
        "req_id": 1,
    }
    if error is None:
        answer["result"] = {"channel": "ticker", "snapshot": True, "symbol": symbol}
    else:
        answer |= {"error": error, "symbol": symbol}  # as Kraken answers an unknown pair
    return answer


class Number(str):
    """A number written into JSON as it is spelt, every digit of it (json.dumps would quote it)."""


def to_json(value: object) -> str:
    if isinstance(value, Number):
        return str.__str__(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    return json.dumps(value)


def ticker(*items: dict, kind: str = "update") -> str:
    return to_json({"channel": "ticker", "type": kind, "data": list(items)})


def item(
    symbol: str, last: str, change_pct: str = "-0.17", at: str | None = "2023-09-25T09:04:31.742648Z", **extra
) -> dict:
    data = {
        "symbol": symbol,
        "bid": Number("0.10025"),
        "bid_qty": Number("740.0"),
        "ask": Number("0.10036"),
        "ask_qty": Number("1361.44813783"),
        "last": Number(last),
        "volume": Number("997038.98383185"),
        "vwap": Number("0.10148"),
        "low": Number("0.09979"),
        "high": Number("0.10285"),
        "change": Number("-0.00017"),
        "change_pct": Number(change_pct),
    }
    if at is not None:
        data["timestamp"] = at
    return data | extra


KRAKEN = ExchangeUnderTest(
    Kraken,
    symbols=("BTC-USD", "ETH-USD"),
    names=("BTC/USD", "ETH/USD"),
    ticker=lambda symbol, price, at: ticker(item(symbol, price, at=iso(at))),
    start=datetime(2023, 9, 25, 9, 4, 31, tzinfo=UTC),
    refused=[("BTC-USD", "btc-usd"), ("BTC-XYZ",)],
    subscribe=[SUBSCRIBE],
    heartbeat=HEARTBEAT,
)


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    async def check() -> None:
        while not condition():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(check(), timeout)


def test_the_ticker_text_has_json_numbers_with_every_digit():
    text = ticker(item("BTC/USD", "64123.12345678901234"))
    assert '"last": 64123.12345678901234' in text and '"symbol": "BTC/USD"' in text


async def test_subscribes_to_the_ticker_and_turns_ticks_into_exact_quotes():
    async def script(conn: FakeConnection) -> None:
        await conn.send(STATUS)  # on connect, before anything is asked
        await conn.expect(1)
        await conn.send(ack("BTC/USD"))
        await conn.send(ack("ETH/USD"))
        await conn.send(ticker(item("BTC/USD", "64123.12345678901234"), item("ETH/USD", "3456.7"), kind="snapshot"))
        await conn.send(ticker(item("BTC/USD", "64123.123456789", change_pct="2.53123456789")))  # the last wins
        await conn.send(HEARTBEAT)
        await conn.silence()

    observer = CountingObserver()
    async with connected(KRAKEN, script, observer) as run:
        batch = await run.next_batch()
        while len(batch.quotes) < 2 or batch.by_symbol()["BTC-USD"].price != Decimal("64123.123456789"):
            batch = await run.next_batch()  # the ticks may straddle a round
        await until(lambda: observer.messages["heartbeat"] == 1)
    sent = [json.loads(m) for m in run.server.connections[0].received[:1]]
    assert sent == [SUBSCRIBE]
    by_symbol = batch.by_symbol()
    assert by_symbol["BTC-USD"].price == Decimal("64123.123456789") and by_symbol["ETH-USD"].price == Decimal("3456.7")
    assert by_symbol["BTC-USD"].change_pct == pytest.approx(2.53123456789)
    assert by_symbol["ETH-USD"].change_pct == pytest.approx(-0.17)
    assert {q.timestamp for q in batch.quotes} == {batch.timestamp}  # stamped with the round
    assert observer.messages == {"status": 1, "subscribe": 2, "ticker": 2, "heartbeat": 1}
    assert observer.bad == {}
    assert run.live.status is FeedStatus.LIVE and run.live.last_quote_age() is not None and run.live.error is None


async def test_prices_stay_exact_through_every_digit():
    async def script(conn: FakeConnection) -> None:
        await conn.expect(1)
        await conn.send(ticker(item("BTC/USD", "64123.12345678901234567"), kind="snapshot"))
        await conn.silence()

    async with connected(KRAKEN, script) as run:
        batch = await run.next_batch()
    assert [q.price for q in batch.quotes] == [Decimal("64123.12345678901234567")]  # a float would keep 17 digits


async def test_an_unknown_pair_is_reported_and_the_others_go_on():
    async def script(conn: FakeConnection) -> None:
        await conn.send(STATUS)
        await conn.expect(1)
        await conn.send(ack("BTC/USD"))
        await conn.send(ack("ETH/USD", error="Currency pair not supported ETH/USD"))
        await conn.send(ticker(item("BTC/USD", "100")))
        await conn.silence()

    observer = CountingObserver()
    async with connected(KRAKEN, script, observer) as run:
        batch = await run.next_batch()
        await until(lambda: run.live.error is not None)
    assert run.live.error == "Currency pair not supported ETH/USD"
    assert [(q.symbol, q.price) for q in batch.quotes] == [("BTC-USD", Decimal(100))]
    assert observer.messages["error"] == 1 and observer.messages["subscribe"] == 1 and observer.bad == {}


def test_a_trading_engine_that_is_not_online_is_reported():
    maintenance = {**STATUS, "data": [{**STATUS["data"][0], "system": "maintenance"}]}
    decoded = Kraken().decode(json.dumps(maintenance))
    assert decoded.kind == "status" and decoded.error == "the trading engine is maintenance"
    assert Kraken().decode(json.dumps(STATUS)).error is None


async def test_the_client_pings_and_the_pongs_are_counted(monkeypatch):
    monkeypatch.setattr(connection, "CLIENT_PING_EVERY", 0.05)

    async def script(conn: FakeConnection) -> None:
        await conn.expect(1)
        await conn.send(ticker(item("BTC/USD", "100")))
        for count in (2, 3):
            await conn.expect(count)  # a ping
            await conn.send(PONG)
        await conn.silence()

    observer = CountingObserver()
    async with connected(KRAKEN, script, observer) as run:
        await run.next_batch()
        await until(lambda: observer.messages["pong"] == 2)
    received = run.server.connections[0].received
    assert [json.loads(m) for m in received[1:3]] == [{"method": "ping"}, {"method": "ping"}]
    assert observer.bad == {}


BAD_MESSAGES = [
    ("this is not json", "malformed_json"),
    ("[1, 2, 3]", "unknown_type"),
    (json.dumps({"channel": "book", "type": "update", "data": []}), "unknown_type"),
    (json.dumps({"method": "add_order", "success": True}), "unknown_type"),
    (json.dumps({"type": "update", "data": []}), "missing_field"),
    (json.dumps({"channel": "ticker", "type": "update"}), "missing_field"),
    (json.dumps({"channel": "ticker", "type": "update", "data": {"symbol": "BTC/USD"}}), "missing_field"),
    (ticker({k: v for k, v in item("BTC/USD", "1").items() if k != "last"}), "missing_field"),
    (ticker({k: v for k, v in item("BTC/USD", "1").items() if k != "symbol"}), "missing_field"),
    (ticker(item("BTC/USD", '"abc"')), "not_a_number"),
    (ticker(item("BTC/USD", "true")), "not_a_number"),
    (ticker(item("BTC/USD", "null")), "not_a_number"),
    (ticker(item("BTC/USD", "NaN")), "malformed_json"),  # a bare NaN is not JSON
    (ticker(item("BTC/USD", "Infinity")), "malformed_json"),
    (ticker(item("BTC/USD", "0")), "bad_price"),
    (ticker(item("BTC/USD", "-5")), "bad_price"),
    (ticker(item("BTC/USD", "99", change_pct='"x"')), "not_a_number"),
    (ticker(item("BTC/USD", "99", at="yesterday")), "bad_time"),
    (ticker(item("BTC/USD", "99", timestamp=1695632671)), "bad_time"),
    (ticker(item("DOGE/USD", "1")), "unknown_symbol"),
    (ticker(item("BTC/USD", "99", at="2023-09-25T09:04:30Z")), "time_backwards"),
]


class TestKraken(ExchangeScenarios):
    """The scenarios every exchange shares, in Kraken's messages."""

    exchange = KRAKEN
    bad_messages = BAD_MESSAGES


def test_a_ticker_without_a_timestamp_has_no_exchange_time():
    decoded = Kraken().decode(ticker(item("BTC/USD", "100", at=None)))
    assert decoded.kind == "ticker" and [(t.symbol, t.price, t.exchange_time) for t in decoded.ticks] == [
        ("BTC/USD", Decimal(100), None)
    ]
    stamped = Kraken().decode(ticker(item("BTC/USD", "100")))
    assert stamped.ticks[0].exchange_time == datetime(2023, 9, 25, 9, 4, 31, 742648, UTC)


def test_kraken_is_a_live_feed_with_its_defaults():
    kraken = exchange_named("kraken")
    assert isinstance(kraken, Kraken) and kraken.websocket_url == "wss://ws.kraken.com/v2"
    assert [kraken.exchange_symbol(s) for s in kraken.default_symbols] == ["BTC/USD", "ETH/USD", "SOL/USD"]


@pytest.mark.parametrize(
    ("symbol", "pair"),
    [
        ("BTC-USD", "XBTUSD"),
        ("ETH-USD", "ETHUSD"),
        ("SOL-EUR", "SOLEUR"),
        ("ETH-BTC", "ETHXBT"),
        ("DOGE-USD", "XDGUSD"),
    ],
)
def test_the_rest_api_names_pairs_its_own_way(symbol, pair):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    [request] = Kraken().history_requests("https://api.kraken.com/", symbol, start, start + timedelta(days=1))
    assert request.url == "https://api.kraken.com/0/public/OHLC"
    assert request.params == {"pair": pair, "interval": 1, "since": int(start.timestamp())}


def kraken_ohlc(lag: int) -> Callable[[object], dict]:
    """What Kraken answers: the 720 most recent minutes at most, whatever `since` asks for, the last
    one the current minute (not yet committed), keyed by another alias of the pair. Its clock may be
    `lag` minutes behind the arena's."""

    def answer(request) -> dict:
        since = int(request.query_params["since"])
        now = since + 24 * 3600 - 60 * lag  # the feed asks for the day before its current minute
        bars = [
            [now - 60 * m, "1.5", "2.5", "0.5", f"{60000 + m}.123456789", "1.1", f"0.00{m:04}", 7]
            for m in range(719, -1, -1)
        ]
        bars[-1][4] = "99999.9"  # the current minute, its close not final
        return {"error": [], "result": {"XXBTZUSD": bars, "last": now - 60}}

    return answer


@pytest.mark.parametrize("lag", [0, 1])
async def test_the_first_day_is_what_kraken_gives_of_it(candle_server, lag):
    async with candle_server(kraken_ohlc(lag)) as rest:
        live = ExchangeFeed(Kraken(), ("BTC-USD",), feed_id="live:kraken", rest_url=rest.url)
        quotes = await live.history()
    [request] = rest.requests
    assert request.url.path == "/0/public/OHLC"
    assert request.query_params["pair"] == "XBTUSD" and request.query_params["interval"] == "1"
    now = datetime.fromtimestamp(int(request.query_params["since"]), UTC) + timedelta(days=1, minutes=-lag)
    assert len(quotes) == 719  # 12 h of minutes, without the current one, however the clocks stand
    assert [q.timestamp for q in quotes] == [now - timedelta(minutes=m) for m in range(719, 0, -1)]  # oldest first
    assert [q.price for q in quotes] == [Decimal(f"{60000 + m}.123456789") for m in range(719, 0, -1)]
    assert [q.volume for q in quotes] == [Decimal(f"0.00{m:04}") for m in range(719, 0, -1)]
    assert {q.symbol for q in quotes} == {"BTC-USD"}


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        ({"error": ["EQuery:Unknown asset pair"]}, "error"),
        ({"error": [], "result": {"last": 1}}, "missing_field"),
        ({"error": [], "result": {"XXBTZUSD": [], "XBTUSD": [], "last": 1}}, "missing_field"),
        ({"error": [], "result": {"XXBTZUSD": [[1, "1", "1", "1"], [2]], "last": 1}}, "missing_field"),
        (
            {"error": [], "result": {"XXBTZUSD": [[1, "1", "1", "1", "abc", "1", "1", 1], [2]], "last": 1}},
            "not_a_number",
        ),
        ({"error": [], "result": {"XXBTZUSD": [[1, "1", "1", "1", "0", "1", "1", 1], [2]], "last": 1}}, "bad_price"),
    ],
)
async def test_a_kraken_error_or_a_bad_answer_is_no_history(candle_server, payload, kind):
    async with candle_server(lambda request: payload) as rest:
        live = ExchangeFeed(Kraken(), ("BTC-USD",), feed_id="live:kraken", rest_url=rest.url)
        with pytest.raises(BadMessage) as bad:
            await live.history()
    assert bad.value.kind == kind

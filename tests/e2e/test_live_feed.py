"""A real server on a live feed from a Coinbase stand-in (a real websocket server in this process):
exact prices in the API and the store, staleness and reconnects, bad data, a competition trading
live prices, export then replay, and `--feed auto` without a network."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from gql.transport.websockets import WebsocketsTransport

from arena.domain.orders import Side
from arena.domain.values import bps
from arena.engine.matching import Costs
from arena.testing.server import free_port

from ..coinbase_stand_in import CANDLE_MINUTES, CoinbaseStandIn
from .helpers import STOP, ArenaServer, client, start, take, trade_count, wait_for_status, wait_until

FEED = """{ arena { feed { id kind description sources symbols status lastQuoteAgeSeconds note error } } }"""
PRICES = "{ prices { feedId symbol price changePct } }"
PRICE_STREAM = "subscription { prices { feedId symbol price } }"
SYMBOLS = ("BTC-USD", "ETH-USD", "SOL-USD")


@pytest.fixture
def coinbase():
    stand_in = CoinbaseStandIn().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def live(tmp_path, coinbase):
    """The arena on `live:coinbase` (its default symbols) from the stand-in; stale after 1 s of silence.
    `live_since`: stored ticks from then on are live rounds (the REST candles before are an hour old)."""
    live_since = int(time.time() * 1_000_000)
    proc = ArenaServer(
        db=tmp_path / "arena.db",
        args=(*coinbase.args(",".join(SYMBOLS)), "--tick-interval", "0.1"),
        env={"ARENA_LIVE_STALE_SECONDS": "1"},
    ).start()
    wait_until(lambda: feed_status(proc) == "LIVE", what="the live feed to be LIVE")
    proc.live_since = live_since
    yield proc
    code = proc.stop()
    assert code == 0, f"server did not exit cleanly ({code}):\n{proc.log()}"


def feed(server) -> dict:
    return server.graphql(FEED)["data"]["arena"]["feed"]


def feed_status(server) -> str | None:
    return (server.get("/health")[1].get("feed") or {}).get("status")


def stored(server, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(server.db) as db:
        return db.execute(sql, params).fetchall()


def metric(server, name: str, **labels: str) -> float:
    """A sample's value from /metrics (0 when absent)."""
    import urllib.request

    text = urllib.request.urlopen(server.url + "/metrics", timeout=10).read().decode()
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    pattern = re.compile(rf"^{re.escape(name)}(?:\{{{re.escape(wanted)}\}})? (\S+)$", re.MULTILINE)
    found = pattern.search(text)
    return float(found.group(1)) if found else 0.0


LIVE_TICKS = "from price_tick where feed_id = 'live:coinbase' and timestamp >= ?"


def live_rounds(server) -> int:
    return stored(server, f"select count(distinct timestamp) {LIVE_TICKS}", server.live_since)[0][0]


async def test_prices_arrive_exactly_in_the_query_the_subscription_and_the_store(live, coinbase):
    described = feed(live)
    assert described["id"] == "live:coinbase"
    assert described["kind"] == "LIVE"
    assert "Coinbase" in described["description"]
    assert coinbase.url in described["sources"]
    assert described["symbols"] == list(SYMBOLS)
    assert described["status"] == "LIVE"
    assert described["note"] is None and described["error"] is None
    assert 0 <= described["lastQuoteAgeSeconds"] < 5

    subscribe = [m for m in coinbase.subscribes if m.get("type") == "subscribe"]
    assert {"type": "subscribe", "product_ids": list(SYMBOLS), "channel": "ticker"} in subscribe
    assert {"type": "subscribe", "channel": "heartbeats"} in subscribe

    async with client(live, WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL) as session:
        ticks = [r["prices"] for r in await take(session, PRICE_STREAM, 30)]
    for tick in ticks:
        assert tick["feedId"] == "live:coinbase"
        assert Decimal(tick["price"]) in coinbase.all_prices(tick["symbol"]), tick

    coinbase.pause()  # the last prices sent are the ones the arena must show, digit for digit
    expected = {s: str(coinbase.last_price(s)) for s in SYMBOLS}
    wait_until(
        lambda: {p["symbol"]: p["price"] for p in live.graphql(PRICES)["data"]["prices"]} == expected,
        what="the prices query to show the last prices sent",
    )
    assert all(p["changePct"] == -1.25 for p in live.graphql(PRICES)["data"]["prices"])  # the exchange's 24 h figure

    rows = stored(live, f"select symbol, price {LIVE_TICKS}", live.live_since)
    assert rows
    assert all(Decimal(price) in coinbase.all_prices(symbol) for symbol, price in rows)
    for symbol in SYMBOLS:  # the last stored round holds the last price sent, exactly as written
        last = stored(
            live, f"select price {LIVE_TICKS} and symbol = ? order by timestamp desc limit 1", live.live_since, symbol
        )
        assert last == [(expected[symbol],)]
    # the first day's candles, from REST, are price history too
    wait_until(
        lambda: (
            stored(live, "select count(*) from price_tick where feed_id = 'live:coinbase' and round is null")[0][0]
            >= CANDLE_MINUTES * len(SYMBOLS)
        ),
        what="the REST candles to be stored",
    )
    history = live.graphql('{ priceHistory(symbol: "BTC-USD", interval: 60) { close } }')["data"]["priceHistory"]
    assert len(history) > CANDLE_MINUTES


def test_a_silent_exchange_goes_stale_degrades_health_reconnects_and_recovers(live, coinbase):
    assert live.get("/health")[1]["status"] == "ok"
    connections = coinbase.connections
    coinbase.pause()
    wait_until(lambda: feed_status(live) == "STALE", what="STALE")
    code, health = live.get("/health")
    assert code == 200 and health["status"] == "degraded"
    assert "STALE" in health["error"]
    assert feed(live)["status"] == "STALE"
    rounds = live_rounds(live)
    # a silent connection is torn down and opened again, and subscribes again
    coinbase.wait_for(lambda c: c.connections > connections, what="a new connection")
    assert live_rounds(live) == rounds  # no fresh quote, no round
    coinbase.resume()
    wait_until(lambda: feed_status(live) == "LIVE", what="LIVE again")
    wait_until(lambda: live.get("/health")[1]["status"] == "ok", what="health ok again")
    ticker_subscribes = [m for m in coinbase.subscribes if m.get("channel") == "ticker"]
    assert len(ticker_subscribes) >= 2
    wait_until(lambda: live_rounds(live) > rounds, what="rounds again")
    assert metric(live, "arena_feed_reconnects_total", exchange="coinbase") >= 1


def test_a_dropped_connection_reconnects_and_bad_messages_are_counted_not_played(live, coinbase):
    connections = coinbase.connections
    coinbase.drop()
    coinbase.wait_for(lambda c: c.connections > connections, what="a reconnect")
    coinbase.wait_for(
        lambda c: sum(m.get("channel") == "ticker" for m in c.subscribes) >= 2, what="the ticker re-subscribed"
    )
    wait_until(lambda: feed_status(live) == "LIVE", what="LIVE after the reconnect")

    hostile = [
        "{not json",
        '{"channel": "ticker", "timestamp": "2024-01-01T00:00:00Z", "events": [{"tickers": '
        '[{"product_id": "BTC-USD", "price": "-5"}]}]}',
        '{"channel": "ticker", "timestamp": "2024-01-01T00:00:00Z", "events": [{"tickers": '
        '[{"product_id": "BTC-USD", "price": "NaN"}]}]}',
        '{"channel": "market_trades", "events": []}',
        "[1, 2, 3]",
    ]
    coinbase.inject(*hostile)
    coinbase.wait_for(lambda c: c.injected_sent >= len(hostile), what="the hostile messages sent")
    wait_until(
        lambda: (
            sum(
                metric(live, "arena_feed_bad_messages_total", exchange="coinbase", kind=kind)
                for kind in ("malformed_json", "bad_price", "not_a_number", "unknown_type")
            )
            >= len(hostile)
        ),
        what="every bad message counted",
    )
    assert metric(live, "arena_feed_messages_total", exchange="coinbase", kind="ticker") > 0
    assert metric(live, "arena_feed_last_quote_age_seconds") >= 0
    prices = stored(live, "select price from price_tick where feed_id = 'live:coinbase' and symbol = 'BTC-USD'")
    assert all(Decimal(p) > 0 for (p,) in prices)
    assert feed_status(live) == "LIVE"
    assert "Traceback" not in live.log()


def arena(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "arena.cli", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def leaderboard(output: str) -> str:
    """The table of an `arena run`: the lines after its first (which names the run) up to the timing line."""
    lines = output.strip().splitlines()
    assert lines[0].startswith("Competition ") and " bars x " in lines[-1], output
    return "\n".join(lines[1:-1])


def test_a_competition_trades_live_prices_and_its_export_replays_deterministically(live, coinbase, tmp_path):
    agents = [{"name": n, "strategy": n} for n in ("momentum", "mean_reversion", "balanced")]
    competition = start(live, name="live", agents=agents)
    wait_until(lambda: trade_count(live, competition["id"]) >= 3, timeout=60, what="trades on live prices")
    live.operator(STOP)
    wait_for_status(live, competition["id"], "STOPPED")

    fills = stored(live, "select symbol, price, side from fill where competition_id = ?", competition["id"])
    costs = Costs(fee_rate=bps(10), slippage_rate=bps(5))
    sent = {s: coinbase.all_prices(s) for s in SYMBOLS}
    for symbol, price, side in fills:  # every fill is at a price the exchange sent, slipped against the trader
        assert Decimal(price) in {costs.fill_price(Side(side), p) for p in sent[symbol]}, (symbol, price, side)
    rounds = stored(live, "select count(distinct round) from price_tick where competition_id = ?", competition["id"])[
        0
    ][0]
    assert rounds > 0

    out = tmp_path / "export"
    exported = arena(
        "export-prices", "--competition", competition["id"], "--out", str(out), "--db", str(live.db), cwd=tmp_path
    )
    files = sorted(out.glob("*-ticks.csv"))
    assert [f.name for f in files] == [f"{s}-ticks.csv" for s in sorted(SYMBOLS)], exported
    header, *lines = files[0].read_text().splitlines()
    assert header == "timestamp,open,high,low,close,volume"
    assert len(lines) == rounds

    replay = [
        "run",
        "--feed",
        "replay:" + ",".join(str(f) for f in files),
        "--agents",
        "momentum,mean_reversion,balanced",
        "--no-db",
        "--quiet",
    ]
    first, second = arena(*replay, cwd=tmp_path), arena(*replay, cwd=tmp_path)
    assert f"after {rounds:,} rounds" in first
    assert leaderboard(first) == leaderboard(second)
    replayed = tmp_path / "replayed.db"  # and stored, the replay's fills are the live competition's
    arena(*replay[:-2], "--db", str(replayed), "--quiet", cwd=tmp_path)
    with sqlite3.connect(replayed) as db:
        again = db.execute(
            "select agent_name, round, symbol, side, quantity, price from fill order by round, id"
        ).fetchall()
    live_fills = stored(
        live,
        "select agent_name, round, symbol, side, quantity, price from fill where competition_id = ? order by round, id",
        competition["id"],
    )
    assert again == live_fills  # the same agents on the recorded session trade exactly as they did live


def test_an_unknown_exchange_or_symbol_is_refused_at_start(tmp_path):
    for feed_arg, message in (("live:nasdaq", "nasdaq"), ("live:coinbase:BTC-XYZ", "BTC-XYZ")):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "arena.cli",
                "serve",
                "--db",
                str(tmp_path / "a.db"),
                "--port",
                str(free_port()),
                "--feed",
                feed_arg,
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 2, done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr


def test_feed_auto_simulates_and_says_why_when_the_exchange_is_unreachable(tmp_path):
    proc = ArenaServer(
        db=tmp_path / "arena.db",
        feed="auto",
        env={"ARENA_LIVE_URL": f"ws://127.0.0.1:{free_port()}", "ARENA_AUTO_PROBE_SECONDS": "1"},
        args=("--tick-interval", "0.05"),
    ).start()
    try:
        described = feed(proc)
        assert described["kind"] == "SIMULATED"
        assert described["note"].startswith("offline: live feed unreachable")
        health = proc.get("/health")[1]
        assert health["status"] == "ok" and health["feed"]["note"] == described["note"]
        assert "offline: live feed unreachable" in proc.log()
        wait_until(lambda: len(proc.graphql(PRICES)["data"]["prices"]) == len(SYMBOLS), what="simulated prices")
    finally:
        assert proc.stop() == 0


def test_feed_auto_plays_coinbase_when_it_answers(tmp_path, coinbase):
    proc = ArenaServer(
        db=tmp_path / "arena.db",
        feed="auto",
        env={"ARENA_LIVE_URL": coinbase.url, "ARENA_LIVE_REST_URL": coinbase.rest_url},
    ).start()
    try:
        described = feed(proc)
        assert (described["id"], described["kind"], described["note"]) == ("live:coinbase", "LIVE", None)
        assert "feed: Live · Coinbase" in proc.log() and "auto: it answered" in proc.log()
    finally:
        assert proc.stop() == 0


def test_a_headless_live_run_plays_its_rounds_and_needs_an_end(tmp_path, coinbase):
    db = tmp_path / "headless.db"
    live_run = ["run", "--feed", "live:coinbase:BTC-USD,ETH-USD", "--live-url", coinbase.url]
    live_run += ["--live-rest-url", coinbase.rest_url, "--tick-interval", "0.05", "--agents", "momentum,balanced"]
    output = arena(*live_run, "--rounds", "40", "--db", str(db), "--quiet", cwd=tmp_path)
    assert "FINISHED after 40 rounds" in output
    with sqlite3.connect(db) as store:
        (feed_id, competition_id), *others = store.execute(
            "select distinct feed_id, competition_id from price_tick where competition_id is not null"
        ).fetchall()
        prices = store.execute("select symbol, price from price_tick where competition_id = ?", (competition_id,))
        assert all(Decimal(price) in coinbase.all_prices(symbol) for symbol, price in prices)
    assert feed_id == "live:coinbase" and others == []

    endless = subprocess.run(
        [sys.executable, "-m", "arena.cli", *live_run, "--no-db"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert endless.returncode == 2 and "needs --rounds or --duration" in endless.stderr

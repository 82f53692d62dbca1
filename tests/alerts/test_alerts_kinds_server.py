"""Alert kinds end to end through a real server, each fired by what really happens in it:

- FEED_STALE: a live feed from the Coinbase stand-in; nothing fires while it streams, one alert
  (subscription and `firedAlerts`) once it goes silent, and no second one while it stays silent.
- PRICE_ABOVE / PRICE_BELOW: a competition's own seeded simulation, whose prices the test computes
  from the same seed, so each crossing (its round, its price) is known; rules 100x away never fire.
- COMPETITION_FINISHED: once per competition, finished by its rounds or stopped, with its id.
- Apprise: a `json://` URL delivered to a real local receiver, logged as APPRISE / DELIVERED.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any

import httpx

from arena.alerts.service import FEED_CHECK_SECONDS
from arena.feeds.simulated import SimulatedFeed
from tests.alerts.receiver import WebhookReceiver
from tests.alerts.test_alerts_server import FIRED, _create, _deliveries, _graphql
from tests.coinbase_stand_in import CoinbaseStandIn
from tests.fanout.clients import TRANSPORT_WS, RawClient
from tests.in_process import TOKEN, serving, until

ALERTS = "subscription { alerts { id message payload alert { id kind } } }"
FEED = "{ arena { feed { description status } } }"
START = """mutation($input: StartCompetitionInput!) {
  startCompetition(input: $input) { competition { id } userErrors { code message } } }"""
STOP = "mutation { stopCompetition { competition { id status } userErrors { code message } } }"
WEEK = 7 * 24 * 3600  # the longest cooldown: one alert per rule in a test's time


async def _fired(http: httpx.AsyncClient, alert_id: str) -> list[dict[str, Any]]:
    """The rule's fired alerts, oldest first."""
    edges = (await _graphql(http, FIRED, id=alert_id, first=50))["firedAlerts"]["edges"]
    return [e["node"] for e in reversed(edges)]


async def _fired_count(http: httpx.AsyncClient, alert_id: str, count: int) -> list[dict[str, Any]] | None:
    found = await _fired(http, alert_id)
    return found if len(found) >= count else None


async def _start(http: httpx.AsyncClient, **fields: Any) -> str:
    payload = (await _graphql(http, START, input=fields))["startCompetition"]
    assert payload["userErrors"] == [], payload
    return payload["competition"]["id"]  # type: ignore[no-any-return]


def _events(stream: RawClient, operation_id: str = "a") -> list[dict[str, Any]]:
    return [frame["data"]["alerts"] for frame in stream.data(operation_id)]


@asynccontextmanager
async def _arena(tmp_path: Path, **settings: Any) -> AsyncIterator[tuple[httpx.AsyncClient, RawClient]]:
    """A server, an operator's HTTP client, and the `alerts` subscription (operation "a")."""
    async with (
        serving(tmp_path / "arena.db", **settings) as (address, _state),
        httpx.AsyncClient(base_url=f"http://{address}") as http,
        RawClient(address, TRANSPORT_WS, token=TOKEN) as stream,
    ):
        await stream.subscribe("a", ALERTS)
        yield http, stream


@contextmanager
def _coinbase() -> Iterator[CoinbaseStandIn]:
    stand_in = CoinbaseStandIn().start()
    try:
        yield stand_in
    finally:
        stand_in.stop()


# --- FEED_STALE -------------------------------------------------------------------------------

STALE_SECONDS = 2.0  # silent this long: STALE; as long again: the connection is torn down and reopened


async def _feed(http: httpx.AsyncClient) -> dict[str, Any]:
    return (await _graphql(http, FEED))["arena"]["feed"]  # type: ignore[no-any-return]


async def test_feed_stale_fires_once_when_the_live_feed_goes_silent(tmp_path: Path) -> None:
    with _coinbase() as coinbase:
        live = {
            "feed": "live:coinbase:BTC-USD",
            "live_url": coinbase.url,
            "live_rest_url": coinbase.rest_url,
            "live_stale_seconds": STALE_SECONDS,
            "tick_interval": 0.05,
        }
        async with _arena(tmp_path, **live) as (http, stream):
            await until(lambda: _feed_is(http, "LIVE"), 15, "the live feed to be LIVE")
            alert_id = (await _create(http, kind="FEED_STALE"))["alert"]["id"]

            # a negative can only be watched for a while: two of the server's feed checks, streaming
            streamed = _sent(coinbase) + int(2 * FEED_CHECK_SECONDS / coinbase.step_seconds)
            await until(lambda: _sent(coinbase) >= streamed, 10, "two feed checks of streaming")
            assert (await _feed(http))["status"] == "LIVE"
            assert _events(stream) == [] and await _fired(http, alert_id) == []

            connections = coinbase.connections
            coinbase.pause()
            await stream.wait_for(lambda: len(stream.frames["a"]) >= 1, 4 * STALE_SECONDS, "the FEED_STALE alert")
            # torn down at twice the stale time, a stale time after it went STALE: more than a feed
            # check's period, so at least one more check saw it silent
            await until(lambda: coinbase.connections > connections, 4 * STALE_SECONDS, "the silent line reopened")
            (event,) = _events(stream)
            assert event["alert"] == {"id": alert_id, "kind": "FEED_STALE"}
            description = (await _feed(http))["description"]
            # STALE at the first check after the silence, unless that check came late (RECONNECTING)
            assert event["payload"]["feed"] in {f"{description}: STALE", f"{description}: RECONNECTING"}
            assert event["message"] == f"the market feed is stale: {event['payload']['feed']}"
            (fired,) = await _fired(http, alert_id)
            assert fired["id"] == event["id"] and fired["kind"] == "FEED_STALE"
            assert fired["message"] == event["message"] and fired["payload"] == event["payload"]


async def _feed_is(http: httpx.AsyncClient, status: str) -> bool:
    return (await _feed(http))["status"] == status


def _sent(coinbase: CoinbaseStandIn) -> int:
    """Tickers the stand-in has sent (none before the arena subscribes)."""
    return len(coinbase.all_prices("BTC-USD"))


# --- PRICE_ABOVE / PRICE_BELOW ----------------------------------------------------------------

SEED = 7
SYMBOL = "BTC-USD"
MOVE = Decimal("0.002")  # the near thresholds: 0.2 % either side of the first price


def _sim_prices(seed: int, count: int) -> list[Decimal]:
    """The competition's own feed, batch by batch: the same seed gives the same prices."""
    return [batch.quotes[0].price for batch in islice(SimulatedFeed([SYMBOL], seed).batches(), count)]


def _first(prices: list[Decimal], past: Any) -> int:
    index = next((i for i, price in enumerate(prices) if past(price)), None)
    assert index is not None, "the seeded prices never cross: pick another seed or threshold"
    return index


async def test_price_rules_fire_on_the_seeded_crossings_and_far_ones_never(tmp_path: Path) -> None:
    prices = _sim_prices(SEED, 1000)
    first = prices[0]  # what arms both rules: neither side is past it
    above, below = (first * (1 + MOVE)).quantize(Decimal("0.01")), (first * (1 - MOVE)).quantize(Decimal("0.01"))
    crosses_above = _first(prices, lambda p: p > above)
    crosses_below = _first(prices, lambda p: p < below)
    rounds = max(crosses_above, crosses_below) + 10
    # the shared feed stays on its first batch (the start prices, past no threshold), so only the
    # competition's prices can cross
    async with _arena(tmp_path, tick_interval=60.0) as (http, stream):
        rule = {"symbol": SYMBOL, "cooldownSeconds": WEEK}
        near_above = (await _create(http, kind="PRICE_ABOVE", threshold=str(above), **rule))["alert"]["id"]
        near_below = (await _create(http, kind="PRICE_BELOW", threshold=str(below), **rule))["alert"]["id"]
        far_above = (await _create(http, kind="PRICE_ABOVE", threshold=str(first * 100), **rule))["alert"]["id"]
        far_below = (await _create(http, kind="PRICE_BELOW", threshold=str(first / 100), **rule))["alert"]["id"]
        finished = (await _create(http, kind="COMPETITION_FINISHED"))["alert"]["id"]

        competition_id = await _start(
            http, name="crossings", feed="SIMULATED", seed=SEED, symbols=[SYMBOL], rounds=rounds, speed="max"
        )
        # stored with (or after) the last round: every price of the competition has been evaluated
        await until(lambda: _fired_count(http, finished, 1), 15, "the competition to finish")
        (fired_above,) = await _fired(http, near_above)
        (fired_below,) = await _fired(http, near_below)
        assert await _fired(http, far_above) == [] and await _fired(http, far_below) == []

        feed_id = f"competition:{competition_id}"
        price = prices[crosses_above]
        assert fired_above["kind"] == "PRICE_ABOVE"
        assert fired_above["message"] == f"{SYMBOL} crossed above {above}: {price}"
        assert fired_above["payload"] == {
            "symbol": SYMBOL,
            "price": str(price),
            "threshold": str(above),
            "feedId": feed_id,
        }
        price = prices[crosses_below]
        assert fired_below["kind"] == "PRICE_BELOW"
        assert fired_below["message"] == f"{SYMBOL} crossed below {below}: {price}"
        assert fired_below["payload"] == {
            "symbol": SYMBOL,
            "price": str(price),
            "threshold": str(below),
            "feedId": feed_id,
        }
        await stream.wait_for(lambda: len(stream.frames["a"]) >= 3, 10, "the three alerts on the subscription")
        events = _events(stream)
        assert len(events) == 3, events
        streamed = {e["alert"]["id"]: e["id"] for e in events}
        assert streamed.keys() == {near_above, near_below, finished}
        assert (streamed[near_above], streamed[near_below]) == (fired_above["id"], fired_below["id"])


# --- COMPETITION_FINISHED ---------------------------------------------------------------------


async def test_competition_finished_fires_once_per_competition_with_its_id(tmp_path: Path) -> None:
    async with _arena(tmp_path) as (http, stream):
        alert_id = (await _create(http, kind="COMPETITION_FINISHED"))["alert"]["id"]
        played = await _start(http, name="three rounds", rounds=3)
        await stream.wait_for(lambda: len(stream.frames["a"]) >= 1, 15, "the first competition's alert")
        (event,) = _events(stream)
        assert event["alert"] == {"id": alert_id, "kind": "COMPETITION_FINISHED"}
        assert event["payload"]["competitionId"] == played
        assert event["payload"]["status"] == "FINISHED" and event["payload"]["round"] == 3
        assert event["message"].startswith(f"competition {played} finished after 3 rounds")

        stopped = await _start(http, name="stopped")
        answer = (await _graphql(http, STOP))["stopCompetition"]
        assert answer["userErrors"] == [] and answer["competition"] == {"id": stopped, "status": "STOPPED"}
        await stream.wait_for(lambda: len(stream.frames["a"]) >= 2, 15, "the stopped competition's alert")
        events = _events(stream)
        assert len(events) == 2 and events[1]["payload"]["competitionId"] == stopped
        assert events[1]["payload"]["status"] == "STOPPED"
        fired = await _fired(http, alert_id)
        assert [(f["id"], f["payload"]["competitionId"]) for f in fired] == [
            (events[0]["id"], played),
            (events[1]["id"], stopped),
        ]


# --- Apprise ----------------------------------------------------------------------------------


async def test_an_apprise_json_url_is_delivered_to_the_receiver_and_logged(tmp_path: Path) -> None:
    with WebhookReceiver() as receiver:
        async with _arena(tmp_path, alerts_allow_private=True, alerts_retry_base=0.05) as (http, _stream):
            url = f"json://127.0.0.1:{receiver.port}/apprise"
            created = await _create(http, kind="COMPETITION_FINISHED", appriseUrls=[url])
            alert_id = created["alert"]["id"]
            competition_id = await _start(http, name="notified", rounds=2)
            (request,) = await receiver.await_count(1, timeout=15)
            (fired,) = await _fired(http, alert_id)
            assert fired["payload"]["competitionId"] == competition_id
            assert request.method == "POST" and request.path == "/apprise"
            body = request.json()
            assert body["message"] == fired["message"]
            assert body["title"] == "Trading Arena: COMPETITION_FINISHED"

            async def delivered() -> dict[str, Any] | None:
                found = await _deliveries(http, alert_id)
                return found[0] if found and found[0]["status"] == "DELIVERED" else None

            delivery = await until(delivered, 10, "the Apprise delivery to be logged")
            assert delivery["channel"] == "APPRISE" and delivery["attempts"] == 1
            assert delivery["lastError"] is None and delivery["message"] == fired["message"]
            assert len(await _deliveries(http, alert_id)) == 1
        assert len(receiver.requests) == 1

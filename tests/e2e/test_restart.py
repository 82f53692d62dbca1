"""Across a restart: a bot's client order ids still make its orders idempotent, and a resumed
competition keeps its start time. A competition's own feed never mixes with the shared market."""

from __future__ import annotations

from .helpers import START, ArenaServer, wait_for_status, wait_until
from .test_bots import order, register

COMPETITION = "query($id: ID!) { competition(id: $id) { status round startedAt } }"
RESUME_ID = """mutation($id: ID) {
  resumeCompetition(id: $id) { competition { status startedAt } userErrors { code message } } }"""


def test_client_order_ids_and_the_start_time_survive_a_restart(tmp_path):
    server = ArenaServer(db=tmp_path / "arena.db", args=("--tick-interval", "0.05")).start()
    try:
        bot_id, bot_token = register(server, "keeper")
        started = server.operator(START, {"input": {"name": "restart", "bots": [bot_id]}})["data"]["startCompetition"]
        assert started["userErrors"] == []
        cid = started["competition"]["id"]
        first = order(server, bot_token, symbol="BTC-USD", side="BUY", notional="250", clientOrderId="keep-1")
        first_trade = first["data"]["placeOrder"]["trade"]
        assert first_trade is not None, first
        again = order(server, bot_token, symbol="BTC-USD", side="BUY", notional="250", clientOrderId="keep-1")
        assert again["data"]["placeOrder"]["trade"] == first_trade, "the same order under the same id fills once"
        started_at = server.graphql(COMPETITION, {"id": cid})["data"]["competition"]["startedAt"]

        assert server.stop() == 0
        server.start()
        assert server.graphql(COMPETITION, {"id": cid})["data"]["competition"]["status"] == "INTERRUPTED"
        resumed = server.operator(RESUME_ID, {"id": cid})["data"]["resumeCompetition"]
        assert resumed["userErrors"] == [] and resumed["competition"]["status"] == "RUNNING"
        assert resumed["competition"]["startedAt"] == started_at
        assert server.graphql("{ arena { startedAt } }")["data"]["arena"]["startedAt"] == started_at

        replayed = order(server, bot_token, symbol="BTC-USD", side="BUY", notional="250", clientOrderId="keep-1")
        assert replayed["data"]["placeOrder"]["trade"] == first_trade, "the id outlived the restart"
        changed = order(server, bot_token, symbol="BTC-USD", side="BUY", notional="999", clientOrderId="keep-1")
        assert [e["code"] for e in changed["data"]["placeOrder"]["userErrors"]] == ["DUPLICATE_CLIENT_ORDER_ID"]
        bot = "query($c: ID) { trades(competitionId: $c) { edges { node { agentName clientOrderId } } } }"
        edges = server.graphql(bot, {"c": cid})["data"]["trades"]["edges"]
        assert [e["node"]["clientOrderId"] for e in edges if e["node"]["agentName"] == "keeper"] == ["keep-1"]
    finally:
        if server.alive():
            assert server.stop() == 0


def test_a_competitions_own_feed_never_mixes_with_the_shared_market(server):
    market = server.graphql("{ arena { feed { id kind } } }")["data"]["arena"]["feed"]
    assert market == {"id": "sim:42", "kind": "SIMULATED"}
    started = server.operator(
        START, {"input": {"name": "own", "feed": "SIMULATED", "seed": 7, "speed": "0.05s", "rounds": 12}}
    )["data"]["startCompetition"]
    cid = started["competition"]["id"]
    own = server.graphql("{ arena { feed { id } } }")["data"]["arena"]["feed"]["id"]
    assert own == f"competition:{cid}"
    wait_until(lambda: server.graphql("{ prices { feedId } }")["data"]["prices"], what="prices of the own feed")
    ticks = server.graphql("{ prices { feedId } }")["data"]["prices"]
    assert {t["feedId"] for t in ticks} <= {own, "sim:42"}  # labelled, whichever is playing as the query runs
    wait_for_status(server, cid, "FINISHED")
    assert server.graphql("{ arena { feed { id } } }")["data"]["arena"]["feed"]["id"] == "sim:42"

    history = 'query($f: String) { priceHistory(symbol: "BTC-USD", interval: 60, feedId: $f) { close ticks } }'
    own_candles = server.graphql(history, {"f": own})["data"]["priceHistory"]
    assert sum(c["ticks"] for c in own_candles) == 12, "one BTC tick per round of its own feed, nothing else"
    wait_until(lambda: server.graphql(history, {"f": "sim:42"})["data"]["priceHistory"], what="market candles")
    assert server.graphql(history, {"f": "no-such-feed"})["data"]["priceHistory"] == []

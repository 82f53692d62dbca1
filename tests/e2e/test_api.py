"""The GraphQL API end to end: a real server, httpx for queries and mutations, gql over websockets."""

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import pytest
from gql import GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError
from gql.transport.websockets import WebsocketsTransport

from .conftest import serve_on
from .helpers import (
    PAUSE,
    PROTOCOLS,
    RESUME,
    START,
    STOP,
    TRADES_PAGE,
    client,
    start,
    take,
    trade_count,
    wait_for_status,
    wait_until,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def server(tmp_path, request):
    """Every test here on an SQLite file and on a PostgreSQL database."""
    yield from serve_on(request.param, tmp_path, request)


def test_mutations_are_refused_without_the_operator_token(server):
    for token in (None, "wrong-token"):
        for mutation in (
            START.replace("($input: StartCompetitionInput!)", "").replace("$input", '{name: "x"}'),
            PAUSE,
            RESUME,
            STOP,
        ):
            data = server.graphql(mutation, token=token)
            assert data.get("data") is None
            assert data["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert server.graphql("{ arena { state } }")["data"]["arena"]["state"] == "IDLE", "nothing changed"


def test_invalid_transitions_and_bad_input_are_user_errors(server):
    payload = server.operator(PAUSE)["data"]["pauseCompetition"]
    assert payload["userErrors"][0]["code"] == "NO_COMPETITION"
    bad = server.operator(START, {"input": {"name": "bad", "agents": [{"name": "x", "strategy": "coin_flip"}]}})
    assert bad["data"]["startCompetition"]["userErrors"][0]["code"] == "INVALID_CONFIG"
    bad = server.operator(START, {"input": {"name": "bad", "symbols": ["NOPE-USD"]}})
    assert bad["data"]["startCompetition"]["userErrors"][0]["code"] == "UNKNOWN_SYMBOL"
    start(server)
    again = server.operator(START, {"input": {"name": "again"}})["data"]["startCompetition"]
    assert again["userErrors"][0]["code"] == "ALREADY_RUNNING"
    resume = server.operator(RESUME)["data"]["resumeCompetition"]
    assert resume["userErrors"][0]["code"] == "ALREADY_RUNNING"


@pytest.mark.parametrize("protocol", PROTOCOLS)
async def test_prices_and_trades_stream_over_both_websocket_protocols(server, protocol):
    competition = start(server)
    async with client(server, protocol) as session:
        prices = await take(session, "subscription { prices { symbol price changePct timestamp } }", 9)
        assert {p["prices"]["symbol"] for p in prices} == {"BTC-USD", "ETH-USD", "SOL-USD"}
        trades = await take(
            session, "subscription { trades { id agentName side symbol quantity price round } }", 3, timeout=30
        )
        assert all(t["trades"]["side"] in ("BUY", "SELL") for t in trades)
    # every trade a subscriber saw is already stored (record, then publish)
    ids = {t["trades"]["id"] for t in trades}
    stored = server.graphql(TRADES_PAGE, {"first": 500, "cid": competition["id"]})["data"]["trades"]["edges"]
    assert ids <= {e["node"]["id"] for e in stored}


async def test_leaderboard_and_arena_events_send_current_state_first(server):
    start(server)
    async with client(server, WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL) as session:
        boards = await take(session, "subscription { leaderboard { rank agent { name equity } } }", 3)
        assert [e["rank"] for e in boards[0]["leaderboard"]] == [1, 2, 3, 4, 5]
        started = time.monotonic()
        more = await take(session, "subscription { leaderboard { rank } }", 5)
        assert len(more) == 5
        # throttled: 4 updates after the first take at least 3 x 250 ms
        assert time.monotonic() - started >= 0.75
        events = await take(session, "subscription { arenaEvents { kind status round message } }", 3)
        assert events[0]["arenaEvents"]["kind"] == "STATE_CHANGED"
        assert events[0]["arenaEvents"]["status"] == "RUNNING"
        assert any(e["arenaEvents"]["kind"] == "ROUND_COMPLETED" for e in events[1:])


async def test_operator_can_control_over_the_websocket_with_connection_params(server):
    async with client(server, WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, token=server.token) as session:
        result = await session.execute(GraphQLRequest(START, variable_values={"input": {"name": "ws"}}))
        assert result["startCompetition"]["competition"]["status"] == "RUNNING"
    async with client(server, WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL) as anonymous:
        with pytest.raises(TransportQueryError) as err:
            await anonymous.execute(gql(STOP))
        assert err.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_pause_stops_trades_while_prices_go_on_then_resume_and_stop(server):
    competition = start(server)
    cid = competition["id"]
    wait_until(lambda: trade_count(server, cid) >= 3, what="first trades")
    assert server.operator(PAUSE)["data"]["pauseCompetition"]["competition"]["status"] == "PAUSED"
    paused_round = server.graphql("{ arena { round } }")["data"]["arena"]["round"]
    paused_trades = trade_count(server, cid)
    first_prices = server.graphql("{ prices { timestamp } }")["data"]["prices"][0]["timestamp"]
    wait_until(
        lambda: server.graphql("{ prices { timestamp } }")["data"]["prices"][0]["timestamp"] != first_prices,
        what="prices to move while paused",
    )
    later_prices = server.graphql("{ prices { timestamp } }")["data"]["prices"][0]["timestamp"]
    wait_until(
        lambda: server.graphql("{ prices { timestamp } }")["data"]["prices"][0]["timestamp"] != later_prices,
        what="prices to keep moving",
    )
    assert trade_count(server, cid) == paused_trades
    assert server.graphql("{ arena { round } }")["data"]["arena"]["round"] == paused_round
    assert server.operator(RESUME)["data"]["resumeCompetition"]["competition"]["status"] == "RUNNING"
    wait_until(
        lambda: server.graphql("{ arena { round } }")["data"]["arena"]["round"] > paused_round + 3,
        what="rounds after resume",
    )
    assert server.operator(STOP)["data"]["stopCompetition"]["competition"]["status"] == "STOPPED"
    stopped = server.graphql("query($id: ID!) { competition(id: $id) { status endedAt round } }", {"id": cid})
    assert stopped["data"]["competition"]["status"] == "STOPPED"
    assert stopped["data"]["competition"]["endedAt"] is not None


def test_paging_through_trades_has_no_duplicates_or_gaps_while_trades_arrive(server):
    competition = start(server, agents=[{"name": "r", "strategy": "random", "params": {"trade_probability": 0.9}}])
    cid = competition["id"]
    wait_until(lambda: trade_count(server, cid) >= 40, what="40 trades")
    seen: list[str] = []
    after = None
    while True:
        page = server.graphql(TRADES_PAGE, {"first": 7, "after": after, "cid": cid})["data"]["trades"]
        seen.extend(e["node"]["id"] for e in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)), "no duplicates"
    # ids carry the per-competition sequence: walking back to the first trade must leave no gap
    import base64

    seqs = [int(base64.urlsafe_b64decode(i + "=" * (-len(i) % 4)).decode().rsplit("/", 1)[1]) for i in seen]
    assert seqs == sorted(seqs, reverse=True)
    assert seqs[-1] == 1 and seqs == list(range(seqs[0], 0, -1)), "no gaps"
    # backwards from the oldest page with last/before reaches the newest trades seen, in order
    newest_seen = seen[0]
    back: list[str] = []
    before = page["pageInfo"]["startCursor"]
    back = [e["node"]["id"] for e in page["edges"]]
    while True:
        prev = server.graphql(TRADES_PAGE, {"last": 5, "before": before, "cid": cid})["data"]["trades"]
        back = [e["node"]["id"] for e in prev["edges"]] + back
        if not prev["edges"] or newest_seen in back:
            break
        before = prev["pageInfo"]["startCursor"]
    tail = back[back.index(newest_seen) :]
    assert tail == seen, "walking backwards gives the same sequence"


def test_bad_cursors_and_ids_get_coded_errors(server):
    for query in (
        '{ trades(first: 5, after: "!!notacursor") { totalCount } }',
        '{ node(id: "garbage") { __typename } }',
        "{ trades(first: 100000) { totalCount } }",
    ):
        data = server.graphql(query)
        assert data["errors"][0]["extensions"]["code"] == "INVALID_INPUT", data
    assert server.graphql("{ nope }")["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
    assert server.graphql("{ nope")["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_graphiql_health_and_metrics(server):
    start(server)
    page = httpx.get(f"{server.url}/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    health = httpx.get(f"{server.url}/health").json()
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["feed"]["kind"] == "SIMULATED"
    assert health["competition"]["state"] == "RUNNING"
    wait_until(lambda: trade_count(server) >= 1, what="a trade")
    metrics = httpx.get(f"{server.url}/metrics").text
    for name in (
        "arena_agent_equity{",
        "arena_rounds_total",
        "arena_fills_persisted_total",
        "arena_uptime_seconds",
        "arena_messages_published_total",
        "arena_websocket_connections",
        "arena_active_subscriptions",
        "arena_request_duration_seconds_bucket",
        "arena_agent_trades_total{",
    ):
        assert name in metrics, name
    assert httpx.get(f"{server.url}/").status_code == 200


def test_queries_for_history_nodes_and_candles(server):
    competition = start(server, rounds=30)
    cid = competition["id"]
    wait_for_status(server, cid, "FINISHED")
    start(server, name="next", rounds=1000)  # the finished one is now read from the store, not from memory
    ended = server.graphql("{ prices { timestamp } }")["data"]["prices"][0]["timestamp"]
    wait_until(
        lambda: server.graphql("{ prices { timestamp } }")["data"]["prices"][0]["timestamp"] != ended,
        what="the market to move on after the finish",
    )
    data = server.graphql(
        """query($id: ID!) {
        competition(id: $id) { status round winner { name } leaderboard { rank agent { id name equity cash positions { symbol quantity marketValue } } } }
        competitions(first: 5) { edges { node { id status } } pageInfo { hasNextPage } }
    }""",
        {"id": cid},
    )["data"]
    assert data["competition"]["round"] == 30
    for entry in data["competition"]["leaderboard"]:  # positions are marked at the competition's own last prices
        agent = entry["agent"]
        marked = Decimal(agent["cash"]) + sum(Decimal(p["marketValue"]) for p in agent["positions"])
        assert abs(marked - Decimal(agent["equity"])) <= Decimal("0.00000001"), agent
    assert data["competition"]["winner"]["name"] == data["competition"]["leaderboard"][0]["agent"]["name"]
    assert [e["node"]["id"] for e in data["competitions"]["edges"]][1] == cid  # newest first
    agent_id = data["competition"]["leaderboard"][0]["agent"]["id"]
    history = server.graphql("query($a: ID!) { equityHistory(agentId: $a) { round equity } }", {"a": agent_id})["data"]
    assert [p["round"] for p in history["equityHistory"]] == list(range(1, 31))
    candles = server.graphql('{ priceHistory(symbol: "BTC-USD", interval: 300) { open high low close ticks } }')[
        "data"
    ]["priceHistory"]
    assert candles and all(float(c["low"]) <= float(c["open"]) <= float(c["high"]) for c in candles)
    from arena.api.ids import to_global_id

    node = server.graphql(
        "query($id: ID!) { node(id: $id) { __typename ... on Competition { name } } }",
        {"id": to_global_id("Competition", cid)},
    )["data"]["node"]
    assert node == {"__typename": "Competition", "name": "e2e"}

"""External bots end to end: register, take part, trade through GraphQL, stay isolated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import serve_on
from .helpers import START, wait_until

EXAMPLE_BOT = Path(__file__).resolve().parents[2] / "examples" / "bot.py"
REGISTER = "mutation($name: String!) { registerBot(name: $name) { bot { id name } token userErrors { code } } }"
ORDER = """mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { trade { id side quantity price agentName } userErrors { code message } } }"""
ME = "{ me { bot { name } agent { id kind cash equity tradeCount positions { symbol quantity } } trades { id side } } }"


@pytest.fixture(params=["sqlite", "postgresql"])
def server(tmp_path, request):
    """Every test here on an SQLite file and on a PostgreSQL database."""
    yield from serve_on(request.param, tmp_path, request)


def register(server, name: str) -> tuple[str, str]:
    payload = server.operator(REGISTER, {"name": name})["data"]["registerBot"]
    assert payload["userErrors"] == []
    return payload["bot"]["id"], payload["token"]


def order(server, token: str, **values) -> dict:
    return server.graphql(ORDER, {"input": values}, token=token)


def test_example_bot_trades_on_the_leaderboard_and_other_tokens_cannot_touch_it(server):
    alpha_id, alpha_token = register(server, "alpha")
    beta_id, beta_token = register(server, "beta")
    started = server.operator(
        START,
        {
            "input": {
                "name": "bots",
                "speed": "0.05s",
                "bots": [alpha_id, beta_id],
                "agents": [{"name": "momentum", "strategy": "momentum"}],
            }
        },
    )
    assert started["data"]["startCompetition"]["userErrors"] == []
    cid = started["data"]["startCompetition"]["competition"]["id"]

    run = subprocess.run(
        [
            sys.executable,
            str(EXAMPLE_BOT),
            "--url",
            server.ws_url,
            "--token",
            alpha_token,
            "--max-orders",
            "4",
            "--window",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.count("fill: ") >= 1, run.stdout

    me = server.graphql(ME, token=alpha_token)["data"]["me"]
    assert me["bot"]["name"] == "alpha" and me["agent"]["kind"] == "BOT"
    alpha_agent = me["agent"]["id"]
    trades = server.graphql(
        "query($a: ID, $c: ID) { trades(competitionId: $c, agentId: $a, first: 50) { edges { node { agentName side } } } }",
        {"a": alpha_agent, "c": cid},
    )["data"]["trades"]["edges"]
    assert len(trades) == me["agent"]["tradeCount"] >= 1
    assert {t["node"]["agentName"] for t in trades} == {"alpha"}
    board = server.graphql("{ leaderboard { agent { name kind tradeCount } } }")["data"]["leaderboard"]
    assert {"alpha", "beta", "momentum"} == {e["agent"]["name"] for e in board}
    assert next(e for e in board if e["agent"]["name"] == "alpha")["agent"]["kind"] == "BOT"

    # beta's token acts only for beta: alpha's account does not move
    before = server.graphql(ME, token=alpha_token)["data"]["me"]["agent"]
    placed = order(server, beta_token, symbol="BTC-USD", side="BUY", notional="100")["data"]["placeOrder"]
    assert placed["userErrors"] == [] and placed["trade"]["agentName"] == "beta"
    after = server.graphql(ME, token=alpha_token)["data"]["me"]["agent"]
    assert (after["cash"], after["tradeCount"]) == (before["cash"], before["tradeCount"])

    # wrong and revoked tokens are UNAUTHENTICATED
    assert (
        order(server, "bot_wrong", symbol="BTC-USD", side="BUY", notional="1")["errors"][0]["extensions"]["code"]
        == "UNAUTHENTICATED"
    )
    assert (
        server.operator("mutation($id: ID!) { revokeBot(id: $id) { bot { revoked } } }", {"id": beta_id})["data"][
            "revokeBot"
        ]["bot"]["revoked"]
        is True
    )
    refused = order(server, beta_token, symbol="BTC-USD", side="BUY", notional="1")
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_order_errors_idempotency_and_rate_limit(server):
    bot_id, token = register(server, "gamma")
    start = server.operator(
        START,
        {
            "input": {
                "name": "orders",
                "speed": "0.05s",
                "bots": [bot_id],
                "agents": [{"name": "hold", "strategy": "buy_and_hold"}],
            }
        },
    )
    assert start["data"]["startCompetition"]["userErrors"] == []
    wait_until(lambda: server.graphql("{ arena { round } }")["data"]["arena"]["round"] >= 2, what="a round")

    def code(**values):
        payload = order(server, token, **values)["data"]["placeOrder"]
        return payload["userErrors"][0]["code"] if payload["userErrors"] else None

    assert code(symbol="DOGE-USD", side="BUY", quantity="1") == "UNKNOWN_SYMBOL"
    assert code(symbol="BTC-USD", side="BUY", quantity="0") == "INVALID_QUANTITY"
    assert code(symbol="BTC-USD", side="BUY", quantity="-1") == "INVALID_QUANTITY"
    assert code(symbol="BTC-USD", side="BUY", quantity="1", notional="5") == "INVALID_QUANTITY"
    assert code(symbol="BTC-USD", side="SELL", quantity="1") == "INSUFFICIENT_POSITION"
    assert code(symbol="BTC-USD", side="BUY", quantity="1000") == "INSUFFICIENT_CASH"

    first = order(server, token, symbol="ETH-USD", side="BUY", notional="50", clientOrderId="o-1")["data"]["placeOrder"]
    again = order(server, token, symbol="ETH-USD", side="BUY", notional="50", clientOrderId="o-1")["data"]["placeOrder"]
    assert first["trade"]["id"] == again["trade"]["id"], "idempotent on clientOrderId"
    assert code(symbol="ETH-USD", side="BUY", notional="60", clientOrderId="o-1") == "DUPLICATE_CLIENT_ORDER_ID"
    me = server.graphql(ME, token=token)["data"]["me"]
    assert me["agent"]["tradeCount"] == 1

    # a burst beyond the per-bot limit (5/s by default) is refused with RATE_LIMITED
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(12) as pool:
        codes = list(
            pool.map(lambda i: code(symbol="BTC-USD", side="SELL", quantity="1", clientOrderId=f"b{i}"), range(12))
        )
    assert "RATE_LIMITED" in codes
    assert set(codes) <= {"RATE_LIMITED", "INSUFFICIENT_POSITION"}

    server.operator("mutation { pauseCompetition { competition { status } } }")
    assert code(symbol="BTC-USD", side="BUY", notional="10") == "PAUSED"

"""Queries and mutations sent over a websocket, on both protocols: graphql-transport-ws runs them
(with the connection's token for mutations); the legacy graphql-ws refuses them with a coded error
that says to use HTTP, never INTERNAL, and no traceback is logged. Subscriptions work on both."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from .helpers import TOKEN, ArenaServer

QUERY = {"query": "query { arena { state } }"}
MUTATION = {"query": "mutation { pauseCompetition { userErrors { code } } }"}
SUBSCRIPTION = {"query": "subscription { prices { symbol } }"}
# (protocol, its start message type, its data message type)
MODERN = ("graphql-transport-ws", "subscribe", "next")
LEGACY = ("graphql-ws", "start", "data")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    proc = ArenaServer(db=tmp_path_factory.mktemp("ws") / "a.db", args=("--tick-interval", "0.05")).start()
    yield proc
    assert proc.stop() == 0


async def first_answer(server, protocol, payload, token=None) -> dict:
    name, start, _ = protocol
    async with websockets.connect(server.ws_url, subprotocols=[name]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"authToken": token} if token else {}}))
        assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": start, "payload": payload}))
        while True:
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if message["type"] != "ka":
                return message


@pytest.mark.parametrize("protocol", [MODERN, LEGACY], ids=["graphql-transport-ws", "graphql-ws"])
async def test_subscriptions_stream_on_both(server, protocol) -> None:
    message = await first_answer(server, protocol, SUBSCRIPTION)
    assert message["type"] == protocol[2] and message["payload"]["data"]["prices"]["symbol"]


async def test_the_modern_protocol_runs_queries_and_mutations_with_the_connections_token(server) -> None:
    query = await first_answer(server, MODERN, QUERY)
    assert query["type"] == "next" and query["payload"]["data"]["arena"]["state"]
    refused = await first_answer(server, MODERN, MUTATION)
    assert refused["type"] == "next" and refused["payload"]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    allowed = await first_answer(server, MODERN, MUTATION, token=TOKEN)
    assert allowed["payload"]["data"]["pauseCompetition"]["userErrors"][0]["code"] == "NO_COMPETITION"


@pytest.mark.parametrize("payload", [QUERY, MUTATION], ids=["query", "mutation"])
@pytest.mark.parametrize("token", [None, TOKEN], ids=["no token", "token"])
async def test_the_legacy_protocol_refuses_queries_and_mutations_with_a_code_that_says_use_http(
    server, payload, token
) -> None:
    message = await first_answer(server, LEGACY, payload, token)
    assert message["type"] == "error" and message["id"] == "1"
    error = message["payload"]
    assert error["extensions"]["code"] == "USE_HTTP" and "POST /graphql" in error["message"]
    assert "Traceback" not in server.log() and "INTERNAL" not in server.log()

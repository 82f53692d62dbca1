"""Websocket misuse gets the protocol's close codes or coded errors; the server keeps serving."""

from __future__ import annotations

import asyncio
import json

import pytest
import websockets

from .helpers import ArenaServer

SUB = {"query": "subscription { prices { symbol } }"}


@pytest.fixture
def ws_server(tmp_path):
    proc = ArenaServer(
        db=tmp_path / "a.db",
        args=("--tick-interval", "0.05"),
        env={"ARENA_CONNECTION_INIT_TIMEOUT": "0.5", "ARENA_MAX_SUBSCRIPTIONS_PER_CONNECTION": "3"},
    ).start()
    yield proc
    assert proc.stop() == 0


async def connect(server):
    return await websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"])


async def closed_with(ws) -> int:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd else -1


async def init(ws, payload=None):
    await ws.send(json.dumps({"type": "connection_init", "payload": payload or {}}))
    assert json.loads(await asyncio.wait_for(ws.recv(), 5))["type"] == "connection_ack"


async def test_protocol_violations_get_close_codes(ws_server):
    async with await connect(ws_server) as ws:  # subscribe before connection_init
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": SUB}))
        assert await closed_with(ws) == 4401
    async with await connect(ws_server) as ws:  # no connection_init at all
        assert await closed_with(ws) == 4408
    async with await connect(ws_server) as ws:  # two connection_inits
        await init(ws)
        await ws.send(json.dumps({"type": "connection_init"}))
        assert await closed_with(ws) == 4429
    async with await connect(ws_server) as ws:  # the same operation id twice
        await init(ws)
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": SUB}))
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": SUB}))
        assert await closed_with(ws) == 4409
    for garbage in ("not json", json.dumps({"type": "nonsense"}), json.dumps([1, 2])):
        async with await connect(ws_server) as ws:
            await init(ws)
            await ws.send(garbage)
            assert await closed_with(ws) == 4400
    async with await connect(ws_server) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": "a string"}))
        assert await closed_with(ws) == 4400
    assert ws_server.graphql("{ arena { state } }")["data"]["arena"]["state"] == "IDLE", "still serving"


async def test_too_many_subscriptions_get_a_coded_error_and_the_others_go_on(ws_server):
    async with await connect(ws_server) as ws:
        await init(ws)
        for i in range(4):
            await ws.send(json.dumps({"id": str(i), "type": "subscribe", "payload": SUB}))
        refused = None
        ids_with_data = set()
        while refused is None or len(ids_with_data) < 3:
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if message["type"] == "error":
                refused = message
            elif message["type"] == "next":
                ids_with_data.add(message["id"])
        assert refused["id"] == "3"
        assert refused["payload"][0]["extensions"]["code"] == "TOO_MANY_SUBSCRIPTIONS"
        assert ids_with_data == {"0", "1", "2"}


async def test_bad_subscription_documents_get_coded_errors(ws_server):
    async with await connect(ws_server) as ws:
        await init(ws)
        await ws.send(json.dumps({"id": "a", "type": "subscribe", "payload": {"query": "subscription { nope }"}}))
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert message["type"] == "error"
        assert message["payload"][0]["extensions"]["code"] == "BAD_REQUEST"
        await ws.send(
            json.dumps(
                {"id": "b", "type": "subscribe", "payload": {"query": "subscription { prices(symbols: 5) { symbol } }"}}
            )
        )
        message = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert message["payload"][0]["extensions"]["code"] == "BAD_REQUEST"

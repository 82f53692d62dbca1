"""SIGTERM mid-run: the round completes and is stored, clients get a close frame, exit 0."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import time

import websockets

from .helpers import START, ArenaServer, wait_until


async def test_sigterm_finishes_the_round_closes_sockets_and_exits_zero(tmp_path):
    db_path = tmp_path / "a.db"
    server = ArenaServer(db=db_path, args=("--tick-interval", "0.05")).start()
    started = server.operator(START, {"input": {"name": "shutdown", "feed": "SIMULATED", "speed": "0.02s"}})
    cid = started["data"]["startCompetition"]["competition"]["id"]
    wait_until(lambda: server.graphql("{ arena { round } }")["data"]["arena"]["round"] >= 10, what="round 10")
    async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
        await ws.recv()
        await ws.send(
            json.dumps({"id": "p", "type": "subscribe", "payload": {"query": "subscription { prices { symbol } }"}})
        )
        await asyncio.wait_for(ws.recv(), 5)
        began = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        code = None
        try:
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        except websockets.ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
        assert code is not None, "the client got a close frame"
    assert await asyncio.to_thread(server.process.wait, 15) == 0
    assert time.monotonic() - began < 10
    with sqlite3.connect(db_path) as conn:
        (last_round,) = conn.execute("select round from competition where id = ?", (cid,)).fetchone()
        agents = conn.execute("select count(*) from entrant where competition_id = ?", (cid,)).fetchone()[0]
        stored = conn.execute(
            "select count(*) from equity where competition_id = ? and round = ?", (cid, last_round)
        ).fetchone()[0]
        max_tick_round = conn.execute("select max(round) from price_tick where competition_id = ?", (cid,)).fetchone()[
            0
        ]
    assert last_round >= 10
    assert stored == agents, "the last round is stored whole"
    assert max_tick_round == last_round, "no round was left half-recorded"

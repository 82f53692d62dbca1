"""Logs an operator can read: an expected refusal is one INFO line with its code, never a traceback."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
import websockets
from graphql import GraphQLError

from arena.api.errors import log_error
from arena.errors import ArenaError, ErrorCode

from .helpers import ArenaServer

REFUSALS = [
    # (what, request body, token, the code it is refused with)
    (
        "a mutation without the token",
        {"query": "mutation { pauseCompetition { userErrors { code } } }"},
        None,
        "UNAUTHENTICATED",
    ),
    ("a malformed id", {"query": '{ node(id: "%%%") { __typename } }'}, None, "INVALID_INPUT"),
    ("a bad interval", {"query": '{ priceHistory(symbol: "BTC-USD", interval: 0) { open } }'}, None, "INVALID_INPUT"),
    ("a field that does not exist", {"query": "{ nothingHere }"}, None, "BAD_REQUEST"),
    ("a syntax error", {"query": "{ arena { "}, None, "BAD_REQUEST"),
    ("a bad cursor", {"query": '{ trades(after: "nope") { totalCount } }'}, None, "INVALID_INPUT"),
]


@pytest.fixture
def quiet_server(tmp_path):
    proc = ArenaServer(db=tmp_path / "arena.db", args=("--tick-interval", "0.5")).start()
    yield proc
    assert proc.stop() == 0


async def test_refusals_log_one_line_each_without_a_traceback(quiet_server):
    server = quiet_server
    async with httpx.AsyncClient(base_url=server.url) as http:
        for what, body, token, code in REFUSALS:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            errors = (await http.post("/graphql", json=body, headers=headers)).json()["errors"]
            assert [e["extensions"]["code"] for e in errors] == [code], what
        assert (
            await http.post("/graphql", content=b"{not json", headers={"content-type": "application/json"})
        ).status_code == 400
    async with websockets.connect(server.ws_url, subprotocols=["graphql-transport-ws"]) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        await ws.recv()
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": "subscription { nothing }"}}))
        assert json.loads(await ws.recv())["payload"][0]["extensions"]["code"] == "BAD_REQUEST"
    server.stop()
    log = server.log()
    assert "Traceback" not in log, log
    refused = [line for line in log.splitlines() if " refused " in line]
    for _, _, _, code in REFUSALS:
        assert any(f"[{code}]" in line and line.startswith("INFO") for line in refused), (code, refused)
    assert not [line for line in log.splitlines() if line.startswith("ERROR")], log


def test_an_internal_error_logs_its_traceback_at_error(caplog: pytest.LogCaptureFixture) -> None:
    bug = GraphQLError("boom", original_error=ZeroDivisionError("division by zero"), path=["arena", "round"])
    with caplog.at_level(logging.INFO, logger="arena.api.errors"):
        log_error(bug)
        log_error(GraphQLError("no", original_error=ArenaError(ErrorCode.NOT_FOUND, "no such thing"), path=["agent"]))
    internal, refusal = caplog.records
    assert internal.levelno == logging.ERROR and internal.exc_info is not None
    assert "arena.round" in internal.getMessage()
    assert refusal.levelno == logging.INFO and refusal.exc_info is None
    assert refusal.getMessage() == "refused agent [NOT_FOUND]: no"

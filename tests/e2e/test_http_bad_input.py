"""Bad input over HTTP: a coded error every time, the server keeps serving, the database is untouched."""

from __future__ import annotations

import sqlite3

import httpx
import pytest

from .helpers import ArenaServer


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the whole module: every case must leave it serving and unchanged."""
    proc = ArenaServer(db=tmp_path_factory.mktemp("bad") / "arena.db").start()
    yield proc
    assert proc.stop() == 0


START = "mutation($input: StartCompetitionInput!) { startCompetition(input: $input) { competition { id } userErrors { field code message } } }"


def competitions(server) -> int:
    with sqlite3.connect(server.db) as conn:
        return conn.execute("select count(*) from competition").fetchone()[0]


def post(server, content: bytes, content_type: str = "application/json", token: bool = True) -> httpx.Response:
    headers = {"content-type": content_type}
    if token:
        headers["authorization"] = f"Bearer {server.token}"
    return httpx.post(f"{server.url}/graphql", content=content, headers=headers, timeout=10)


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [
        (b'{"query": ', "application/json", 400),
        (b"\xff\xfe\x00garbage", "application/json", 400),
        (b"hello", "text/plain", 400),
        (b'{"variables": {}}', "application/json", 400),
        (b"[1, 2, 3]", "application/json", 400),
        (b'{"query": 42}', "application/json", 400),
        (b'{"query": "' + b"a" * (2 * 1024 * 1024) + b'"}', "application/json", 413),
    ],
)
def test_malformed_bodies(server, body, content_type, status):
    response = post(server, body, content_type)
    assert response.status_code == status
    assert response.json()["errors"][0]["extensions"]["code"] in ("BAD_REQUEST", "PAYLOAD_TOO_LARGE")
    assert competitions(server) == 0


@pytest.mark.parametrize(
    ("input_", "code"),
    [
        ({"name": "x", "startingCash": "NaN"}, "INVALID_CONFIG"),
        ({"name": "x", "startingCash": "Infinity"}, "INVALID_CONFIG"),
        ({"name": "x", "startingCash": "-5"}, "INVALID_CONFIG"),
        ({"name": "x", "startingCash": "0"}, "INVALID_CONFIG"),
        ({"name": "x", "startingCash": "1e999"}, "INVALID_CONFIG"),
        ({"name": "x", "feeBps": "-1"}, "INVALID_CONFIG"),
        ({"name": "x", "rounds": 0}, "INVALID_CONFIG"),
        ({"name": "x", "rounds": -3}, "INVALID_CONFIG"),
        ({"name": "x", "speed": "fast"}, "INVALID_CONFIG"),
        ({"name": "x", "speed": "1000x"}, "INVALID_CONFIG"),
        ({"name": "", "symbols": ["BTC-USD"]}, "INVALID_CONFIG"),
        ({"name": "x", "symbols": ["NOPE"]}, "UNKNOWN_SYMBOL"),
        (
            {"name": "x", "agents": [{"name": "a", "strategy": "momentum", "params": {"fast_window": "NaN"}}]},
            "INVALID_CONFIG",
        ),
        ({"name": "x", "agents": [{"name": "a", "strategy": "momentum", "params": {"nope": 1}}]}, "INVALID_CONFIG"),
        ({"name": "x", "feed": "REPLAY", "replayFiles": ["../../../etc/passwd"]}, "INVALID_CONFIG"),
        ({"name": "x", "bots": ["bot-unknown"]}, "INVALID_CONFIG"),
    ],
)
def test_bad_competition_inputs_are_user_errors(server, input_, code):
    data = server.operator(START, {"input": input_})
    errors = data["data"]["startCompetition"]["userErrors"]
    assert errors and errors[0]["code"] == code, data
    assert competitions(server) == 0


@pytest.mark.parametrize(
    "query",
    [
        "{ trades(first: 99999999999) { totalCount } }",  # beyond Int
        "{ competitions(status: NOPE) { edges { cursor } } }",
        "{ arena { nope } }",
        '{ priceHistory(symbol: "BTC-USD", interval: 0) { open } }',
        '{ priceHistory(symbol: "BTC-USD", since: "yesterday") { open } }',
        "{ " + " ".join(f"a{i}: arena {{ state }}" for i in range(100)) + " }",
        "{ arena { state " + "__typename " * 3000 + "} }",
        "query { " + "competitions { edges { node { winner { " * 10 + "name" + " } } } }" * 10 + " }",
    ],
)
def test_bad_queries_get_coded_errors(server, query):
    data = server.graphql(query)
    assert data.get("errors"), data
    assert data["errors"][0]["extensions"]["code"] in ("BAD_REQUEST", "INVALID_INPUT"), data
    assert server.graphql("{ arena { state } }")["data"]["arena"]["state"] == "IDLE"


@pytest.mark.parametrize(
    "query",
    [
        '{ trades(first: 5, after: "%s") { totalCount } }',
        '{ node(id: "%s") { __typename } }',
    ],
)
def test_ids_beyond_sqlite_integers_are_invalid_input(server, query):
    from arena.api.ids import to_global_id

    huge = to_global_id("cursor", 10**30) if "trades" in query else to_global_id("Trade", f"abc/{10**30}")
    data = server.graphql(query % huge)
    assert data["errors"][0]["extensions"]["code"] == "INVALID_INPUT", data

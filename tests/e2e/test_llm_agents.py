"""Model agents end to end: a real `arena serve` (or `arena run`) whose llm agents ask a real local
OpenAI-compatible server. Their decisions are stored, queried, streamed and counted; their trades
reach the leaderboard; bad answers change nothing; the rounds never wait on a slow model (except
in a backtest, which must); a resumed competition asks nothing it already asked; the key never
leaves the environment variable it is in."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from gql.transport.websockets import WebsocketsTransport

from tests.e2e.helpers import ArenaServer, client, start, take, wait_for_status, wait_until
from tests.openai_stand_in import OpenAIStandIn, alternate, slow, status, text

KEY = "sk-arena-e2e-secret-4f9c2d"
KEY_ENV = "E2E_MODEL_API_KEY"
DECISION_FIELDS = """
  id agentId agentName agent { name strategy } round askedRound model status reasoning error latencyMs promptTokens completionTokens attempts
  actions { symbol action fraction confidence reasoning }
  orders { symbol side filled tradeId filledQuantity price rejectionCode }
  prompt response
"""
DECISIONS = f"""
query($cid: ID, $first: Int, $after: String) {{
  decisions(competitionId: $cid, first: $first, after: $after) {{
    totalCount pageInfo {{ hasNextPage endCursor }} edges {{ node {{ {DECISION_FIELDS} }} }}
  }}
}}"""


@pytest.fixture
def model():
    stand_in = OpenAIStandIn().start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def arena(tmp_path):
    server = ArenaServer(db=tmp_path / "arena.db", env={KEY_ENV: KEY}).start()
    yield server
    if server.alive():
        assert server.stop() == 0, server.log()


def llm(model: OpenAIStandIn, **params) -> dict:
    return {
        "name": "gpt",
        "strategy": "llm",
        "params": {"model": "stand-in-1", "base_url": model.url, "api_key_env": KEY_ENV, "decide_every": 3, **params},
    }


def agents(model: OpenAIStandIn, **params) -> list[dict]:
    return [{"name": "hold", "strategy": "buy_and_hold"}, llm(model, **params)]


def decisions(server, cid: str) -> list[dict]:
    found, after = [], None
    while True:
        page = server.graphql(DECISIONS, {"cid": cid, "first": 50, "after": after})["data"]["decisions"]
        found += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def prompt_round(request: dict) -> int:
    user = request["body"]["messages"][1]["content"]
    return int(re.search(r"at round (\d+)", user).group(1))


async def test_a_model_agent_decides_trades_and_every_decision_is_stored_streamed_and_counted(arena, model):
    async with client(arena, WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL) as session:
        competition = start(arena, feed="SIMULATED", rounds=40, agents=agents(model))
        streamed = await take(session, f"subscription {{ decisions {{ {DECISION_FIELDS} }} }}", 3, timeout=30)
    cid = competition["id"]
    wait_for_status(arena, cid, "FINISHED", timeout=60)
    stored = decisions(arena, cid)
    # one decision per request (one still out when the last round was played is dropped with the competition)
    assert len(stored) >= 5 and model.count - 1 <= len(stored) <= model.count
    assert [d["round"] for d in stored] == sorted((d["round"] for d in stored), reverse=True)  # newest first
    by_id = {d["id"]: d for d in stored}
    for event in streamed:
        assert by_id[event["decisions"]["id"]] == event["decisions"]  # the stream and the record agree
    first = stored[-1]
    assert first["agent"] == {"name": "gpt", "strategy": "llm"}
    again = arena.graphql("query($id: ID!) { node(id: $id) { ... on Decision { id reasoning } } }", {"id": first["id"]})
    assert again["data"]["node"] == {"id": first["id"], "reasoning": first["reasoning"]}
    assert (
        first["status"] == "EXECUTED"
        and first["model"] == "stand-in-1"
        and first["round"] > first["askedRound"]  # at the first round after the answer came
    )
    assert first["actions"][0]["action"] == "BUY" and first["reasoning"] == "request 1: trend looks up"
    assert first["promptTokens"] == 120 and first["completionTokens"] == 30 and first["attempts"] == 1
    assert "[system]" in first["prompt"] and '"decisions"' in first["response"]
    (order,) = first["orders"]
    assert order["filled"] and order["side"] == "BUY"
    trade = arena.graphql(
        "query($id: ID!) { node(id: $id) { ... on Trade { agentName side price quantity round } } }",
        {"id": order["tradeId"]},
    )["data"]["node"]
    assert trade == {
        "agentName": "gpt",
        "side": "BUY",
        "price": order["price"],
        "quantity": order["filledQuantity"],
        "round": first["round"],
    }
    board = arena.graphql("query($c: ID) { agents(competitionId: $c) { name strategy tradeCount params } }", {"c": cid})
    (gpt,) = [a for a in board["data"]["agents"] if a["name"] == "gpt"]
    filled = {o["tradeId"] for d in stored for o in d["orders"] if o["filled"]}
    trades = arena.graphql(
        "query($c: ID, $a: ID) { trades(competitionId: $c, agentId: $a, first: 500) { totalCount edges { node { id } } } }",
        {"c": cid, "a": first["agentId"]},
    )["data"]["trades"]
    assert gpt["strategy"] == "llm" and gpt["tradeCount"] == trades["totalCount"] > 0
    # a model agent trades only through its decisions: its trades are exactly their fills
    assert filled and filled == {e["node"]["id"] for e in trades["edges"]}
    assert gpt["params"]["api_key_env"] == KEY_ENV and gpt["params"]["model"] == "stand-in-1"
    _, metrics = arena.get("/metrics")
    assert f'arena_llm_requests_total{{agent="gpt",outcome="executed"}} {float(len(stored))}' in metrics
    assert (
        'arena_llm_tokens_total{agent="gpt",kind="prompt"}' in metrics and "arena_llm_latency_seconds_count" in metrics
    )
    # the key went to the model, and nowhere else
    assert {r["headers"]["authorization"] for r in model.requests} == {f"Bearer {KEY}"}
    everything = [
        arena.log(),
        str(arena.graphql(DECISIONS, {"cid": cid, "first": 100})),
        str(board),
        str(arena.get("/health")),
    ]
    assert not [text for text in everything if KEY in text]
    arena.stop()
    assert KEY.encode() not in Path(arena.db).read_bytes()


async def test_bad_answers_are_recorded_as_errors_with_no_trade_and_the_agent_rests_after_three(arena, model):
    model.script(
        text("I'd buy"),
        text("really, buy"),  # invalid twice (the repair too)
        status(500, "model crashed"),
        slow(3.0),  # past the 1 s timeout
    )
    cid = start(arena, feed="SIMULATED", rounds=60, speed="0.05s", agents=agents(model, timeout_s=1))["id"]
    wait_for_status(arena, cid, "FINISHED", timeout=90)
    stored = decisions(arena, cid)[::-1]
    errors = [d for d in stored if d["status"] == "ERROR"]
    expected = ["invalid answer: not JSON", f"HTTP 500 from {model.url}: model crashed", "timed out after 1 s"]
    assert [d["error"][: len(e)] for d, e in zip(errors, expected, strict=False)] == expected
    assert all(d["orders"] == [] and d["actions"] == [] for d in errors)
    assert errors[0]["attempts"] == 2 and errors[0]["response"] == "I'd buy\n\nreally, buy"
    # three failures in a row: it rested (asked nothing for 10 rounds), then asked again and traded
    later = [d for d in stored if d["round"] > errors[2]["round"] and d["status"] == "EXECUTED"]
    assert later and later[0]["askedRound"] >= errors[2]["round"] + 10
    # an answer that came while it rested was recorded, not executed
    assert all(d["orders"] == [] for d in stored if d["status"] == "RESTING")
    assert any(d["orders"] and d["orders"][0]["filled"] for d in later)
    assert arena.alive() and "Traceback" not in arena.log()


async def test_the_rounds_keep_their_pace_while_the_model_is_slow(arena, model):
    model.default = lambda body, number: slow(1.5, alternate(body, number))
    cid = start(arena, feed="SIMULATED", rounds=400, speed="0.05s", agents=agents(model, decide_every=2))["id"]
    model.wait_for_requests(3, timeout=30)
    wait_until(lambda: len(decisions(arena, cid)) >= 2, timeout=30, what="two decisions")
    arena.operator("mutation { stopCompetition { competition { status } } }")
    stored = decisions(arena, cid)[::-1]
    first = stored[0]
    # 1.5 s of model time at 0.05 s a round: the rounds went on meanwhile
    assert first["round"] - first["askedRound"] >= 10
    # decisions due while it was out made it late; one request at a time, ever
    assert first["status"] == "LATE" and first["orders"] == []
    assert model.max_in_flight == 1


def test_a_backtest_at_max_speed_waits_for_each_answer(tmp_path, model):
    model.default = lambda body, number: slow(0.2, alternate(body, number))
    db = tmp_path / "run.db"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "arena.cli",
            "run",
            "--agents",
            "hold=buy_and_hold,gpt=llm",
            "--model",
            "stand-in-1",
            "--llm-base-url",
            model.url,
            "--param",
            "gpt.decide_every=5",
            "--rounds",
            "40",
            "--speed",
            "max",
            "--db",
            str(db),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**_env(), KEY_ENV: KEY},
    )
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(db) as conn:
        rows = conn.execute("select asked_round, round, status from decision order by seq").fetchall()
    # every answer was waited for: executed at the round right after it was asked for
    assert len(rows) >= 4 and all(r == a + 1 for a, r, _ in rows)
    assert {s for _, _, s in rows} <= {"EXECUTED", "RESTING"} and rows[0][2] == "EXECUTED"
    requests = model.count
    assert requests in (len(rows), len(rows) + 1)  # one asked at the last round has no round left to execute at
    assert f"{requests} model requests; the rounds waited" in done.stdout


async def test_a_resumed_competition_reuses_its_stored_decisions_and_asks_only_for_new_rounds(tmp_path, model):
    db = tmp_path / "arena.db"
    server = ArenaServer(db=db, env={KEY_ENV: KEY}).start()
    try:
        cid = start(server, feed="SIMULATED", rounds=300, speed="0.05s", agents=agents(model, decide_every=2))["id"]
        wait_until(lambda: _stored(db, cid) >= 5, timeout=30, what="five stored decisions")
        server.stop(signal.SIGKILL)
        before = model.count
        killed_at = _round(db, cid)
        kept = _decisions(db, cid)
        server.start()
        resumed = server.operator(
            "mutation($id: ID) { resumeCompetition(id: $id) { competition { status } userErrors { code message } } }",
            {"id": cid},
        )["data"]["resumeCompetition"]
        assert resumed["userErrors"] == [], resumed
        model.wait_for_requests(before + 3, timeout=30)
        server.operator("mutation { stopCompetition { competition { status } } }")
    finally:
        if server.alive():
            assert server.stop() == 0
    asked_after = [prompt_round(r) for r in model.requests[before:]]
    assert min(asked_after) > killed_at, "nothing already asked was asked again"
    # the decisions recorded before the crash are untouched, and numbering goes on after them
    assert _decisions(db, cid)[: len(kept)] == kept
    assert [
        s
        for (s,) in sqlite3.connect(db).execute(
            "select seq from decision where competition_id = ? order by seq", (cid,)
        )
    ] == list(range(1, _stored(db, cid) + 1))


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("ARENA_")}


def _stored(db: Path, cid: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("select count(*) from decision where competition_id = ?", (cid,)).fetchone()[0]


def _round(db: Path, cid: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("select round from competition where id = ?", (cid,)).fetchone()[0]


def _decisions(db: Path, cid: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "select seq, round, asked_round, status, actions_json, orders_json from decision "
            "where competition_id = ? order by seq",
            (cid,),
        ).fetchall()

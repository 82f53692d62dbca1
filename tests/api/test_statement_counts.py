"""Walking the graph costs a bounded number of SQL statements: a page of trades with their agents
and competitions, or competitions with their leaderboards and agents, read the same number of
statements whatever the page size (the references are loaded in batches, per request).

The app runs in this process (Starlette's TestClient, lifespan and all) on a real SQLite file
with recorded competitions, so that a SQLAlchemy listener can count what it executes."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from arena.agents.spec import AgentSpec
from arena.app.headless import run_headless
from arena.config import get_settings
from arena.main import build_state, create_app
from tests.builders import sim_config

STRATEGIES = ("momentum", "mean_reversion", "balanced", "buy_and_hold", "random")
TRADES = """
query($first: Int!) {
  trades(first: $first) {
    edges { node { id symbol agent { name strategy equity competition { name status } } competition { name round } } }
  }
}"""
COMPETITIONS = """
query($first: Int!) {
  competitions(first: $first) {
    edges { node { name
      leaderboard { rank agent { id name equity competition { name }
        trades(first: 3) { totalCount pageInfo { hasNextPage } edges { node { id side price } } } } }
      agents { name tradeCount } } }
  }
}"""


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Iterator[tuple[TestClient, list[str]]]:
    db = Path(tmp_path_factory.mktemp("graph")) / "arena.db"
    for seed in range(1, 7):  # six finished competitions with trades
        config = sim_config(rounds=120, seed=seed, agents=tuple(AgentSpec(s, s) for s in STRATEGIES))
        asyncio.run(run_headless(config, str(db)))
    settings = get_settings(db=str(db), feed="sim", operator_token="t", public_subscriptions=True, tune_gc=False)
    state = build_state(settings)
    statements: list[str] = []
    # reads only: the market feed plays meanwhile and its ticks are written in the background
    event.listen(
        state.db.engine.sync_engine,
        "before_cursor_execute",
        lambda *a: statements.append(a[2]) if a[2].lstrip().upper().startswith("SELECT") else None,
    )
    with TestClient(create_app(settings, state)) as client:
        yield client, statements


def count(app: tuple[TestClient, list[str]], query: str, first: int) -> tuple[int, dict]:
    client, statements = app
    before = len(statements)
    response = client.post("/graphql", json={"query": query, "variables": {"first": first}})
    body = response.json()
    assert response.status_code == 200 and "errors" not in body, body
    return len(statements) - before, body["data"]


def test_a_page_of_trades_with_agents_and_competitions_costs_the_same_for_5_or_50(app) -> None:
    small, few = count(app, TRADES, 5)
    large, many = count(app, TRADES, 50)
    edges = many["trades"]["edges"]
    assert len(few["trades"]["edges"]) == 5 and len(edges) == 50
    assert len({e["node"]["competition"]["name"] for e in edges}) >= 1
    assert all(e["node"]["agent"]["competition"]["name"] == e["node"]["competition"]["name"] for e in edges)
    assert large == small, f"{small} statements for 5 trades, {large} for 50"
    assert large <= 10


def test_competitions_with_leaderboards_and_agents_cost_the_same_for_2_or_6(app) -> None:
    small, _ = count(app, COMPETITIONS, 2)
    large, data = count(app, COMPETITIONS, 6)
    nodes = [e["node"] for e in data["competitions"]["edges"]]
    assert len(nodes) == 6 and all(len(n["leaderboard"]) == len(STRATEGIES) == len(n["agents"]) for n in nodes)
    assert all(entry["agent"]["competition"]["name"] == n["name"] for n in nodes for entry in n["leaderboard"])
    assert large == small, f"{small} statements for 2 competitions, {large} for 6"
    assert large <= 10


def test_an_agents_batched_trades_are_its_own_page_of_the_root_connection(app) -> None:
    client, _ = app
    _, data = count(app, COMPETITIONS, 3)
    for node in (e["node"] for e in data["competitions"]["edges"]):
        for entry in node["leaderboard"]:
            agent = entry["agent"]
            alone = client.post(
                "/graphql",
                json={
                    "query": "query($a: ID) { trades(agentId: $a, first: 3) "
                    "{ totalCount pageInfo { hasNextPage } edges { node { id side price } } } }",
                    "variables": {"a": agent["id"]},
                },
            ).json()["data"]["trades"]
            assert agent["trades"] == alone

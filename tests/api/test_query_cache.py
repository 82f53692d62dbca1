"""The query cache: which documents it may serve, that it never serves a result older than the
last commit, that concurrent and repeated requests share one execution, and that the access
check still runs for every request."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from graphql import parse

from arena.api.ids import from_global_id
from arena.api.schema import schema
from arena.api.stored_reads import reads_only_stored
from tests.fanout.clients import TRANSPORT_WS, RawClient
from tests.in_process import TOKEN, serving

STORED = [
    "{ trades(first: 50) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id price } } } }",
    "query T($n: Int) { trades(first: $n) { edges { node { ...F } } } } fragment F on Trade { symbol side }",
    "{ a: trades(first: 1) { __typename edges { node { ... on Trade { round } } } } b: decisions { totalCount } }",
    "{ decisions(first: 5) { edges { node { id actions { symbol action } orders { filled price } } } } }",
    "query A { arena { state } } query B { trades { totalCount } }",  # with operationName B
]
NOT_STORED = [
    "{ trades { edges { node { agent { name equity } } } } }",  # an agent's standing is live
    "{ trades { edges { node { competition { status } } } } }",
    "{ trades { totalCount } arena { state } }",  # any other root field
    "{ leaderboard { rank } }",
    "{ trades { edges { node { ... on Node { id } } } } }",  # a fragment on an interface
    "subscription { trades { id } }",
    "mutation { pause { userErrors { code } } }",
    "query A { trades { totalCount } } query B { trades { totalCount } }",  # no operation chosen
]


@pytest.mark.parametrize("document", STORED)
def test_documents_of_stored_rows_only_may_be_cached(document):
    assert reads_only_stored(schema._schema, parse(document), "B" if "query B" in document else None)


@pytest.mark.parametrize("document", NOT_STORED)
def test_documents_reaching_live_state_are_executed(document):
    assert not reads_only_stored(schema._schema, parse(document), None)


def _metric(text: str, outcome: str) -> float:
    line = next(
        (ln for ln in text.splitlines() if ln.startswith(f'arena_query_cache_total{{outcome="{outcome}"}}')), None
    )
    return float(line.split()[-1]) if line else 0.0


async def test_a_query_after_a_trade_event_sees_that_trade(tmp_path):
    """Trades are published after their commit; a query sent after the event must include it,
    however often the same page was served from the cache before."""
    page = "{ trades(first: 3) { edges { node { id } } } }"
    async with (
        serving(tmp_path / "arena.db", tick_interval=0.02, demo=True) as (address, state),
        httpx.AsyncClient(base_url=f"http://{address}") as http,
        RawClient(address, TRANSPORT_WS) as stream,
    ):
        await stream.subscribe("t", "subscription { trades { id } }")
        checked = 0
        while checked < 25:
            await stream.wait_for(lambda c=checked: len(stream.frames["t"]) > c, what="a trade event")
            event = stream.data("t")[checked]["data"]["trades"]["id"]
            checked += 1
            for _ in range(3):  # the same page again and again: served from the cache between commits
                answer = (await http.post("/graphql", json={"query": page})).json()
                newest = answer["data"]["trades"]["edges"][0]["node"]["id"]
                assert _seq(newest) >= _seq(event), (newest, event)
        metrics = (await http.get("/metrics")).text
        assert state.query_cache is not None
        assert _metric(metrics, "miss") > 0


def _seq(global_id: str) -> int:
    return int(from_global_id(global_id)[1].rsplit("/", 1)[1])


async def test_repeated_and_concurrent_queries_share_one_execution(tmp_path):
    page = "{ trades(first: 10) { totalCount edges { node { id } } } }"
    async with (
        serving(tmp_path / "arena.db", tick_interval=3600) as (address, state),  # a round an hour: few commits
        httpx.AsyncClient(base_url=f"http://{address}") as http,
    ):
        for _ in range(5):  # until one burst ran with no commit in between (the first round may land in one)
            before, generation = (await http.get("/metrics")).text, state.db.generation
            answers = await asyncio.gather(*(http.post("/graphql", json={"query": page}) for _ in range(20)))
            answers.append(await http.post("/graphql", json={"query": page}))
            after = (await http.get("/metrics")).text
            if state.db.generation == generation:
                break
        else:
            pytest.fail("the store committed during every burst")
        assert len({a.text for a in answers}) == 1
        delta = {o: _metric(after, o) - _metric(before, o) for o in ("miss", "hit", "shared")}
        assert delta["miss"] == 1, delta  # one execution; the others waited for it or found its result
        assert delta["hit"] + delta["shared"] == 20, delta
        assert delta["hit"] >= 1, delta  # the last one, sent after the burst


async def test_a_cached_result_is_not_served_to_who_may_not_read(tmp_path):
    page = "{ trades(first: 5) { totalCount } }"
    async with (
        serving(tmp_path / "arena.db", tick_interval=3600, public_queries=False) as (address, state),
        httpx.AsyncClient(base_url=f"http://{address}") as http,
    ):
        operator = {"Authorization": f"Bearer {TOKEN}"}
        first = (await http.post("/graphql", json={"query": page}, headers=operator)).json()
        assert first["data"]["trades"]["totalCount"] == 0
        assert state.query_cache is not None and len(state.query_cache) == 1
        anonymous = (await http.post("/graphql", json={"query": page})).json()
        assert anonymous["data"] is None
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert json.dumps((await http.post("/graphql", json={"query": page}, headers=operator)).json()) == json.dumps(
            first
        )

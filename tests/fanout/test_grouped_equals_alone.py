"""Frame for frame, a grouped subscriber gets exactly what the same subscription alone would have
sent, on both protocols, for every groupable root field.

One real server in this process. A competition on its own seeded feed is paused; connections
subscribe with grouping on (members of groups), then the same documents with grouping off (each
run alone, Strawberry's own path). The competition then plays to its end, every stream is ended
after what was published (so each operation completes with everything), and the raw text of
every frame is compared: snapshots first, then every live frame, errors included.
"""

from __future__ import annotations

import httpx

from arena.broker.topics import DECISIONS, EVENTS, LEADERBOARD, PRICES, TRADES
from tests.fanout.cases import CASES
from tests.fanout.clients import LEGACY_WS, TRANSPORT_WS, RawClient
from tests.in_process import TOKEN, serving, until
from tests.openai_stand_in import OpenAIStandIn

START = """mutation($input: StartCompetitionInput!) {
  startCompetition(input: $input) { competition { id } userErrors { code message } } }"""
CONTROL = "mutation { %s { competition { status } userErrors { code message } } }"
TOPICS = (PRICES, TRADES, LEADERBOARD, EVENTS, DECISIONS)


async def operator(http: httpx.AsyncClient, query: str, variables: dict | None = None) -> dict:
    response = await http.post("/graphql", json={"query": query, "variables": variables or {}})
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


async def test_every_grouped_frame_is_the_frame_the_subscription_alone_would_send(tmp_path):
    model = OpenAIStandIn().start()
    try:
        async with (
            serving(tmp_path / "arena.db") as (address, state),
            httpx.AsyncClient(base_url=f"http://{address}", headers={"authorization": f"Bearer {TOKEN}"}) as http,
        ):
            agents = [
                {"name": "random", "strategy": "random"},
                {"name": "hold", "strategy": "buy_and_hold"},
                {"name": "trend", "strategy": "momentum"},
                {
                    "name": "gpt",
                    "strategy": "llm",
                    "params": {"model": "stand-in-1", "base_url": model.url, "decide_every": 2},
                },
            ]
            started = await operator(
                http,
                START,
                {
                    "input": {
                        "name": "groups",
                        "feed": "SIMULATED",
                        "seed": 11,
                        "rounds": 12,
                        "speed": "0.5s",
                        "agents": agents,
                    }
                },
            )
            assert started["startCompetition"]["userErrors"] == []
            paused = await operator(http, CONTROL % "pauseCompetition")
            assert paused["pauseCompetition"]["competition"]["status"] == "PAUSED"
            hub = state.fanout
            assert hub is not None and hub.enabled

            grouped = [RawClient(address, TRANSPORT_WS), RawClient(address, LEGACY_WS)]
            alone = [RawClient(address, TRANSPORT_WS), RawClient(address, LEGACY_WS)]
            for client in grouped + alone:
                await client.__aenter__()
            try:
                for client in grouped:
                    for i, case in enumerate(CASES):
                        await client.subscribe(str(i), case.query, case.variables)
                await until(lambda: hub.member_count() == 2 * len(CASES), 10, "every grouped subscriber to join")
                assert len(hub.groups) == len(CASES)  # both protocols' members of a document share one group
                groups = sum(state.pubsub.subscriber_count(t) for t in TOPICS)

                hub.enabled = False
                for client in alone:
                    for i, case in enumerate(CASES):
                        await client.subscribe(str(i), case.query, case.variables)
                total = groups + 2 * len(CASES)
                await until(
                    lambda: sum(state.pubsub.subscriber_count(t) for t in TOPICS) == total,
                    10,
                    "every lone subscriber to listen",
                )

                await operator(http, CONTROL % "resumeCompetition")
                await until(state.runner.finished.is_set, 60, "the competition to finish")
                state.pubsub.close_all()  # every stream ends after what was published: each operation completes
                ids = {str(i) for i in range(len(CASES))}
                for client in grouped + alone:
                    await client.wait_for(lambda c=client: c.completed >= ids, 30, "every operation to complete")
            finally:
                for client in grouped + alone:
                    await client.__aexit__()

            for together, by_itself in zip(grouped, alone, strict=True):
                for i, case in enumerate(CASES):
                    assert together.frames[str(i)] == by_itself.frames[str(i)], (together.protocol, case.name)
            transport = grouped[0]
            seen = {case.name: len(transport.frames[str(i)]) for i, case in enumerate(CASES)}
            # the run means something: every case got live frames, and the error case got its errors
            assert all(n > 1 for n in seen.values()), str(seen)
            error_case = next(i for i, c in enumerate(CASES) if "error" in c.name)
            assert all("errors" in p for p in transport.data(str(error_case))), "the resolver's error is in each frame"
            assert hub.groups == {} and hub.member_count() == 0
    finally:
        model.stop()

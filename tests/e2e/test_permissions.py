"""Every mutation against every kind of caller: anonymous, a bot, a revoked bot, the operator."""

from __future__ import annotations

import pytest

from .helpers import ArenaServer

OPERATOR_MUTATIONS = {
    "startCompetition": 'mutation { startCompetition(input: {name: "p"}) { userErrors { code } } }',
    "pauseCompetition": "mutation { pauseCompetition { userErrors { code } } }",
    "resumeCompetition": "mutation { resumeCompetition { userErrors { code } } }",
    "stopCompetition": "mutation { stopCompetition { userErrors { code } } }",
    "registerBot": 'mutation { registerBot(name: "x") { userErrors { code } } }',
    "revokeBot": 'mutation { revokeBot(id: "bot-none") { userErrors { code } } }',
}
BOT_MUTATIONS = {
    "placeOrder": 'mutation { placeOrder(input: {symbol: "BTC-USD", side: BUY, notional: "1"}) { userErrors { code } } }',
}


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    proc = ArenaServer(db=tmp_path_factory.mktemp("perm") / "arena.db").start()
    bot = proc.operator('mutation { registerBot(name: "perm") { bot { id } token } }')["data"]["registerBot"]
    revoked = proc.operator('mutation { registerBot(name: "gone") { bot { id } token } }')["data"]["registerBot"]
    proc.operator("mutation($id: ID!) { revokeBot(id: $id) { bot { revoked } } }", {"id": revoked["bot"]["id"]})
    yield proc, bot["token"], revoked["token"]
    assert proc.stop() == 0


def refused(data: dict) -> bool:
    return data.get("data") is None and data["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize("name", sorted(OPERATOR_MUTATIONS))
def test_operator_mutations_refuse_everyone_but_the_operator(arena, name):
    server, bot_token, revoked_token = arena
    query = OPERATOR_MUTATIONS[name]
    for token in (None, "wrong", bot_token, revoked_token):
        assert refused(server.graphql(query, token=token)), (name, token)
    allowed = server.operator(query)
    assert allowed.get("errors") is None, allowed


@pytest.mark.parametrize("name", sorted(BOT_MUTATIONS))
def test_bot_mutations_refuse_everyone_but_an_active_bot(arena, name):
    server, bot_token, revoked_token = arena
    query = BOT_MUTATIONS[name]
    for token in (None, "wrong", revoked_token, server.token):
        assert refused(server.graphql(query, token=token)), (name, token)
    allowed = server.graphql(query, token=bot_token)
    assert allowed.get("errors") is None, allowed
    assert allowed["data"]["placeOrder"]["userErrors"][0]["code"] == "NOT_RUNNING"

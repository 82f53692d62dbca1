"""A server configured with private queries and subscriptions lets only token holders read."""

from __future__ import annotations

import pytest
from gql.transport.exceptions import TransportQueryError

from .helpers import PROTOCOLS, ArenaServer, client, take


@pytest.fixture
def private_server(tmp_path):
    proc = ArenaServer(
        db=tmp_path / "arena.db",
        args=("--tick-interval", "0.05"),
        env={"ARENA_PUBLIC_QUERIES": "false", "ARENA_PUBLIC_SUBSCRIPTIONS": "false"},
    ).start()
    yield proc
    assert proc.stop() == 0


def test_private_queries_need_a_token(private_server):
    anonymous = private_server.graphql("{ arena { state } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert private_server.operator("{ arena { state } }")["data"]["arena"]["state"] == "IDLE"


async def test_private_subscriptions_need_a_token(private_server):
    async with client(private_server, PROTOCOLS[0]) as session:
        with pytest.raises(TransportQueryError) as err:
            await take(session, "subscription { prices { symbol } }", 1)
        assert err.value.errors[0]["extensions"]["code"] == "UNAUTHENTICATED"
    async with client(private_server, PROTOCOLS[0], token=private_server.token) as session:
        assert len(await take(session, "subscription { prices { symbol } }", 3)) == 3

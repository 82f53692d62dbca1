"""What the end-to-end tests share: the server they start, GraphQL documents, websocket clients, waits."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from arena.testing.server import ServerProcess

TOKEN = "e2e-operator-token"


@dataclass
class ArenaServer(ServerProcess):
    """A real `arena serve` with a known operator token."""

    token: str | None = TOKEN


START = """
mutation Start($input: StartCompetitionInput!) {
  startCompetition(input: $input) {
    competition { id name status round }
    userErrors { field message code }
  }
}"""
PAUSE = "mutation { pauseCompetition { competition { status } userErrors { code message } } }"
RESUME = "mutation { resumeCompetition { competition { status } userErrors { code message } } }"
STOP = "mutation { stopCompetition { competition { status } userErrors { code message } } }"
TRADES_PAGE = """
query Page($first: Int, $after: String, $last: Int, $before: String, $cid: ID) {
  trades(competitionId: $cid, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { id agentName symbol side quantity price round } }
  }
}"""

PROTOCOLS = [WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL, WebsocketsTransport.APOLLO_SUBPROTOCOL]


def client(server, protocol: str, token: str | None = None) -> Client:
    transport = WebsocketsTransport(
        url=server.ws_url,
        subprotocols=[protocol],
        init_payload={"authToken": token} if token else {},
        ping_interval=5 if protocol == WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL else None,
    )
    return Client(transport=transport, fetch_schema_from_transport=False)


async def take(session, query: str, count: int, timeout: float = 10.0, variables=None) -> list[dict]:
    """The first `count` results of a subscription, or fail after `timeout` seconds."""
    results: list[dict] = []

    async def run():
        async for result in session.subscribe(GraphQLRequest(query, variable_values=variables)):
            results.append(result)
            if len(results) >= count:
                return

    await asyncio.wait_for(run(), timeout)
    return results


def start(server, **overrides) -> dict:
    data = server.operator(START, {"input": {"name": "e2e", "speed": "0.05s", **overrides}})
    payload = data["data"]["startCompetition"]
    assert payload["userErrors"] == [], payload
    return payload["competition"]


def wait_until(predicate, timeout: float = 15.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def trade_count(server, cid=None) -> int:
    return server.graphql("query($cid: ID) { trades(competitionId: $cid, first: 1) { totalCount } }", {"cid": cid})[
        "data"
    ]["trades"]["totalCount"]


def status_of(server, competition_id: str) -> str:
    query = "query($id: ID!) { competition(id: $id) { status } }"
    return server.graphql(query, {"id": competition_id})["data"]["competition"]["status"]


def wait_for_status(server, competition_id: str, status: str, timeout: float = 15.0) -> None:
    wait_until(lambda: status_of(server, competition_id) == status, timeout, what=f"the competition to be {status}")

"""A member that stops reading is closed with 1013 while its group, and the member beside it in
that group, keep their pace: compared side by side in the same test, never with a constant."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time

import websockets

from tests.e2e.helpers import ArenaServer, wait_until
from tests.e2e.test_slow_subscriber import StalledClient, p99

DOC = {"query": 'subscription { prices(symbols: ["BTC-USD"]) { symbol price timestamp } }'}


def gauge(server: ArenaServer, name: str) -> float:
    _, text = server.get("/metrics")
    return float(re.search(rf"^{name} (\S+)$", text, re.MULTILINE).group(1))


class SteadyMember:
    """A member that reads everything, noting when each frame arrived."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.arrivals: list[float] = []

    async def run(self) -> None:
        async with websockets.connect(self.url, subprotocols=["graphql-transport-ws"], compression=None) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": {}}))
            await ws.recv()
            await ws.send(json.dumps({"id": "steady", "type": "subscribe", "payload": DOC}))
            async for raw in ws:
                if json.loads(raw).get("type") == "next":
                    self.arrivals.append(time.monotonic())

    def gaps(self, since: int) -> list[float]:
        window = self.arrivals[since:]
        return [b - a for a, b in itertools.pairwise(window)]

    async def frames(self, count: int, timeout: float = 15.0) -> int:
        """Wait for `count` more frames; returns where they started."""
        start = len(self.arrivals)
        async with asyncio.timeout(timeout):
            while len(self.arrivals) < start + count:
                await asyncio.sleep(0.02)
        return start


async def test_a_stalled_member_is_closed_and_its_group_keeps_its_pace(fast_server):
    server = fast_server
    steady = SteadyMember(server.ws_url)
    reader = asyncio.create_task(steady.run())
    try:
        before = await steady.frames(150)
        baseline = steady.gaps(before)
        stalled = StalledClient(server.ws_url)
        stalled.open("127.0.0.1", server.port, subscriptions=40, payload=DOC)
        await asyncio.to_thread(
            wait_until, lambda: gauge(server, "arena_subscription_group_members") == 41, 10, "41 members"
        )
        assert gauge(server, "arena_subscription_groups") == 1, "the stalled socket's subscriptions share the group"
        during = steady.gaps(await steady.frames(300))
        assert p99(during) <= 2 * p99(baseline) + 0.02, (p99(baseline), p99(during))
        code = await asyncio.to_thread(stalled.close_code)
        assert code == 1013, "the stalled member was closed with the documented code"
        await asyncio.to_thread(
            wait_until, lambda: gauge(server, "arena_subscription_group_members") == 1, 10, "the stalled to leave"
        )
        assert gauge(server, "arena_subscription_groups") == 1, "the group lives on with its steady member"
        await steady.frames(20)
    finally:
        reader.cancel()

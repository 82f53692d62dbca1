"""`arena serve --role api`: a replica that serves HTTP, websockets, the dashboard and metrics from the
database, relays the engine's live events from the broker to its own subscribers, and forwards
commands (operator mutations, bot orders) to the active engine. It runs no feed and no competition.
A standby engine with a broker does the same until it takes over."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from arena.alerts.service import AlertFired
from arena.api.context import AppState
from arena.broker.publisher import Publisher
from arena.broker.topics import ALERTS
from arena.cluster.broker import BrokerRelay, Relayed
from arena.cluster.commands import CommandClient

logger = logging.getLogger(__name__)


class ApiRole:
    def __init__(self, state: AppState, broker_url: str, engine_timeout: float) -> None:
        self.state = state
        self.broker_url = broker_url
        self.engine_timeout = engine_timeout
        pubsub = state.pubsub
        publisher = Publisher(pubsub)
        prices = state.runner.prices

        async def deliver(relayed: Sequence[Relayed]) -> None:
            events = [e for e in relayed if not isinstance(e, AlertFired)]
            await prices.observe(events)  # the latest quotes, as an engine keeps them
            await publisher.publish(events)
            for alert in relayed:
                if isinstance(alert, AlertFired):
                    pubsub.publish(ALERTS, alert)

        self.relay = BrokerRelay(broker_url, state.db, deliver, on_message=state.db.note_external_commit)
        self._task: asyncio.Task[None] | None = None

    @property
    def status(self) -> str:
        return "replica"

    @property
    def broker(self) -> str | None:
        return "connected" if self.relay.connected.is_set() else "connecting"

    async def begin(self) -> None:
        self.state.engine_client = CommandClient(self.broker_url, self.engine_timeout)
        self._task = asyncio.create_task(self.relay.run(), name="arena-broker-relay")

    async def end(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        client, self.state.engine_client = self.state.engine_client, None
        if client is not None:
            await client.close()

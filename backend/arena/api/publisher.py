"""Turns recorded engine events into pub/sub messages (runs after the recorder)."""

from __future__ import annotations

from collections.abc import Sequence

from arena.domain.events import (
    CompetitionFinished,
    Event,
    OrderFilled,
    OrderRejected,
    QuotesReceived,
    RoundCompleted,
    StateChanged,
)
from arena.pubsub import PubSub

PRICES = "prices"
TRADES = "trades"
LEADERBOARD = "leaderboard"
EVENTS = "events"


class Publisher:
    def __init__(self, pubsub: PubSub) -> None:
        self.pubsub = pubsub

    async def publish(self, events: Sequence[Event]) -> None:
        publish = self.pubsub.publish
        for event in events:
            if isinstance(event, QuotesReceived):
                publish(PRICES, event.batch)
            elif isinstance(event, OrderFilled):
                publish(TRADES, event)
            elif isinstance(event, RoundCompleted):
                publish(LEADERBOARD, event)
                publish(EVENTS, event)
            elif isinstance(event, (StateChanged, OrderRejected, CompetitionFinished)):
                publish(EVENTS, event)
                if isinstance(event, (StateChanged, CompetitionFinished)):
                    publish(LEADERBOARD, event)

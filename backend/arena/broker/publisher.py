"""Turns recorded engine events into pub/sub messages (a sink that runs after the store). The
leaderboard's last standings are retained: a new subscriber starts from them."""

from __future__ import annotations

from collections.abc import Sequence

from arena.broker.pubsub import PubSub
from arena.broker.topics import DECISIONS, EVENTS, LEADERBOARD, PRICES, TRADES
from arena.domain.events import (
    CompetitionCreated,
    CompetitionFinished,
    DecisionRecorded,
    Event,
    OrderFilled,
    OrderRejected,
    QuotesReceived,
    RoundCompleted,
    StateChanged,
)


class Publisher:
    def __init__(self, pubsub: PubSub) -> None:
        self.pubsub = pubsub

    async def publish(self, events: Sequence[Event]) -> None:
        publish = self.pubsub.publish
        for event in events:
            if isinstance(event, QuotesReceived):
                publish(PRICES, event)
            elif isinstance(event, OrderFilled):
                publish(TRADES, event)
            elif isinstance(event, (RoundCompleted, CompetitionFinished)):
                publish(LEADERBOARD, event, retain=True)
                publish(EVENTS, event)
            elif isinstance(event, CompetitionCreated):
                publish(LEADERBOARD, event, retain=True)
            elif isinstance(event, (StateChanged, OrderRejected)):
                publish(EVENTS, event)
            elif isinstance(event, DecisionRecorded):
                publish(DECISIONS, event)

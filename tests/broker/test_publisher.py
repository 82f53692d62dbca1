"""The publisher: each kind of recorded event goes to exactly its topics (broker/topics.py), in order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from arena.agents.spec import AgentSpec
from arena.broker.publisher import Publisher
from arena.broker.pubsub import PubSub
from arena.broker.topics import EVENTS, LEADERBOARD, PRICES, TRADES
from arena.domain.events import (
    CompetitionCreated,
    CompetitionFinished,
    CompetitionStatus,
    OrderFilled,
    OrderRejected,
    QuotesReceived,
    RoundCompleted,
    StateChanged,
)
from arena.domain.market import Quote, QuoteBatch
from arena.domain.orders import OrderIntent, Side
from arena.engine.competition import Competition

from ..builders import sim_config

T0 = datetime(2024, 1, 1, tzinfo=UTC)
TOPICS = (PRICES, TRADES, LEADERBOARD, EVENTS)
END = object()  # published straight to every topic after the events: what came before it is what arrived


def batch(minute: int, price: str) -> QuoteBatch:
    at = T0 + timedelta(minutes=minute)
    return QuoteBatch(at, (Quote("BTC-USD", Decimal(price), at),))


def a_short_competition() -> list:
    """Real events of a small competition: created, started, a round with a fill and a rejection, finished."""
    config = sim_config(agents=(AgentSpec.bot("bot", "bot-1"),), symbols=("BTC-USD",))
    competition = Competition("c", config)
    events: list = [competition.created_event("competition:c", "SIMULATED", "test feed", T0)]
    events.append(competition.transition(CompetitionStatus.RUNNING, T0, "started"))
    competition.submit_external("c-0", OrderIntent("BTC-USD", Side.BUY, quantity=Decimal(1)))
    competition.submit_external("c-0", OrderIntent("BTC-USD", Side.SELL, quantity=Decimal(5)))  # holds 1
    events.extend(competition.play_round(batch(0, "100")))
    events.extend(competition.play_round(batch(1, "101")))
    events.extend(competition.finish(CompetitionStatus.FINISHED, T0 + timedelta(minutes=2), "done"))
    return events


EVENTS_OF_A_RUN = a_short_competition()


def one(kind: type):
    return next(e for e in EVENTS_OF_A_RUN if isinstance(e, kind))


def test_the_short_competition_has_every_kind_of_event():
    assert [type(e) for e in EVENTS_OF_A_RUN] == [
        CompetitionCreated,
        StateChanged,
        QuotesReceived,
        OrderFilled,
        OrderRejected,
        RoundCompleted,  # round 1
        QuotesReceived,
        RoundCompleted,  # round 2
        StateChanged,
        CompetitionFinished,
    ]


async def published(events) -> dict[str, list]:
    """Publish `events` through a Publisher on a real PubSub; what each topic's subscriber received."""
    hub = PubSub(queue_size=100)
    async with (
        hub.subscribe(PRICES) as prices,
        hub.subscribe(TRADES) as trades,
        hub.subscribe(LEADERBOARD) as leaderboard,
        hub.subscribe(EVENTS) as events_,
    ):
        await Publisher(hub).publish(events)
        for topic in TOPICS:
            assert hub.publish(topic, END) == 1
        received: dict[str, list] = {}
        for topic, subscriber in zip(TOPICS, (prices, trades, leaderboard, events_), strict=True):
            messages = received[topic] = []
            while (message := await asyncio.wait_for(subscriber.__anext__(), 1)) is not END:
                messages.append(message)
        return received


# which topics each kind goes to (broker/topics.py)
ROUTES = [
    (QuotesReceived, {PRICES}),
    (OrderFilled, {TRADES}),
    (RoundCompleted, {LEADERBOARD, EVENTS}),
    (CompetitionFinished, {LEADERBOARD, EVENTS}),
    (CompetitionCreated, {LEADERBOARD}),
    (StateChanged, {EVENTS}),
    (OrderRejected, {EVENTS}),
]


@pytest.mark.parametrize(("kind", "topics"), ROUTES, ids=[k.__name__ for k, _ in ROUTES])
async def test_each_kind_goes_to_exactly_its_topics(kind, topics):
    event = one(kind)
    received = await published([event])
    for topic in TOPICS:
        if topic not in topics:
            assert received[topic] == [], f"{kind.__name__} must not reach {topic}"
        else:  # prices carry the whole event: the batch and the feed it came from
            assert len(received[topic]) == 1 and received[topic][0] is event


async def test_a_run_arrives_on_every_topic_in_event_order():
    received = await published(EVENTS_OF_A_RUN)
    created, started, q1, filled, rejected, r1, q2, r2, finishing, finished = EVENTS_OF_A_RUN
    assert received[PRICES] == [q1, q2]
    assert [e.batch.timestamp for e in received[PRICES]] == [T0, T0 + timedelta(minutes=1)]
    assert received[TRADES] == [filled]
    assert received[LEADERBOARD] == [created, r1, r2, finished]
    assert received[EVENTS] == [started, rejected, r1, r2, finishing, finished]


async def test_nothing_is_published_for_no_events():
    received = await published([])
    assert received == {topic: [] for topic in TOPICS}


async def test_publishing_without_subscribers_still_counts_each_message():
    hub = PubSub()
    await Publisher(hub).publish(EVENTS_OF_A_RUN)
    # 2 price batches + 1 trade + 4 leaderboard + 6 events messages = 13
    assert hub.published_total == 13

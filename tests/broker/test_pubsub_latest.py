"""Subscriber.latest(): the newest waiting message, the older ones dropped; a queued close or overflow stays."""

from __future__ import annotations

import asyncio

import pytest

from arena.broker.pubsub import PubSub, Subscriber, SubscriberOverflow


async def next_of(subscriber: Subscriber):
    return await asyncio.wait_for(subscriber.__anext__(), 1)


async def test_latest_returns_the_newest_and_drops_the_older():
    hub = PubSub(queue_size=10)
    async with hub.subscribe("t") as sub:
        for message in ("a", "b", "c"):
            hub.publish("t", message)
        assert sub.latest() == "c"
        assert sub.latest() is None  # "a" and "b" went with it
        hub.publish("t", "d")
        assert await next_of(sub) == "d"  # the iterator goes on with what comes next, not "a"


async def test_latest_is_none_when_nothing_waits():
    hub = PubSub(queue_size=10)
    async with hub.subscribe("t") as sub:
        assert sub.latest() is None
        hub.publish("t", 1)
        assert await next_of(sub) == 1
        assert sub.latest() is None  # the one message was already taken


async def test_latest_of_a_single_message_is_that_message():
    hub = PubSub(queue_size=1)
    async with hub.subscribe("t") as sub:
        hub.publish("t", {"round": 7})
        assert sub.latest() == {"round": 7}
        # the queue (size 1) has room again: the next publish is delivered, not an overflow
        assert hub.publish("t", {"round": 8}) == 1
        assert not sub.overflowed


async def test_a_queued_close_stays_for_the_iterator():
    hub = PubSub(queue_size=10)
    async with hub.subscribe("t") as sub:
        hub.publish("t", "old")
        hub.close_all()  # the end is queued after what waited
        assert sub.latest() is None  # asking for the latest state after an end: the end wins
        assert sub.latest() is None  # asked twice, the close is still there
        with pytest.raises(StopAsyncIteration):
            await next_of(sub)


async def test_a_queued_overflow_stays_for_the_iterator():
    hub = PubSub(queue_size=2)
    async with hub.subscribe("t") as sub:
        assert [hub.publish("t", i) for i in range(3)] == [1, 1, 0]  # the third finds the queue (2) full
        assert sub.overflowed
        assert sub.latest() is None
        with pytest.raises(SubscriberOverflow):
            await next_of(sub)


async def test_latest_then_overflow_then_latest():
    hub = PubSub(queue_size=2)
    async with hub.subscribe("t") as sub:
        hub.publish("t", 1)
        hub.publish("t", 2)
        assert sub.latest() == 2  # empties the queue: two more fit
        hub.publish("t", 3)
        hub.publish("t", 4)
        assert not sub.overflowed
        assert hub.publish("t", 5) == 0  # the third since latest(): overflow
        assert sub.latest() is None
        with pytest.raises(SubscriberOverflow):
            await next_of(sub)


async def test_latest_does_not_move_a_close_behind_later_messages():
    hub = PubSub(queue_size=10)
    async with hub.subscribe("t") as sub:
        sub.close()
        hub.publish("t", "after the close")
        # without latest() the iterator would end right away; latest() must not change that
        sub.latest()
        with pytest.raises(StopAsyncIteration):
            await next_of(sub)

import asyncio

import pytest

from arena.broker.pubsub import PubSub, SubscriberOverflow


async def test_messages_reach_every_subscriber_in_order():
    hub = PubSub(queue_size=10)
    async with hub.subscribe("t") as a, hub.subscribe("t") as b:
        for i in range(3):
            assert hub.publish("t", i) == 2
        assert [await asyncio.wait_for(a.__anext__(), 1) for _ in range(3)] == [0, 1, 2]
        assert [await asyncio.wait_for(b.__anext__(), 1) for _ in range(3)] == [0, 1, 2]
    assert hub.subscriber_count() == 0


async def test_slow_subscriber_is_dropped_without_affecting_others():
    hub = PubSub(queue_size=2)
    async with hub.subscribe("t") as slow, hub.subscribe("t") as fast:
        received = []
        for i in range(5):
            hub.publish("t", i)
            received.append(await asyncio.wait_for(fast.__anext__(), 1))
        assert received == [0, 1, 2, 3, 4]
        assert hub.subscriber_count("t") == 1
        assert hub.dropped_total == 1
        with pytest.raises(SubscriberOverflow):
            await asyncio.wait_for(slow.__anext__(), 1)


async def test_close_all_ends_iteration():
    hub = PubSub()
    async with hub.subscribe("t") as sub:
        hub.close_all()
        with pytest.raises(StopAsyncIteration):
            await asyncio.wait_for(sub.__anext__(), 1)


async def test_a_close_ends_the_stream_after_what_was_published_before_it():
    hub = PubSub(queue_size=10)
    async with hub.subscribe("t") as sub:
        for i in range(3):
            hub.publish("t", i)
        hub.close_all()
        assert [m async for m in sub] == [0, 1, 2]


async def test_messages_are_numbered_per_topic_and_a_subscriber_knows_the_last_it_took():
    hub = PubSub(queue_size=10)
    hub.publish("t", "before anyone listened")
    async with hub.subscribe("t") as sub, hub.subscribe("u") as other:
        hub.publish("u", "u1")
        hub.publish("t", "t2")
        assert hub.sequence("t") == 2 and hub.sequence("u") == 1
        assert await anext(sub) == "t2" and sub.seq == 2
        assert await anext(other) == "u1" and other.seq == 1


async def test_a_retained_message_is_the_topic_state_until_the_next_one():
    hub = PubSub(queue_size=10)
    assert hub.retained("t") is None
    hub.publish("t", "first", retain=True)
    hub.publish("t", "not kept")
    assert hub.retained("t") == "first"
    hub.publish("t", "second", retain=True)
    assert hub.retained("t") == "second"

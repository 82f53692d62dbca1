"""In-process publish/subscribe with a bounded queue per subscriber.

`publish` never blocks and never grows memory: a subscriber whose queue is full
is dropped (its iterator raises `SubscriberOverflow`) instead of stalling the
publisher or the other subscribers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

logger = logging.getLogger(__name__)

_CLOSED = object()


class SubscriberOverflow(Exception):
    """The subscriber fell too far behind and was dropped."""


class Subscriber:
    __slots__ = ("_on_overflow", "_queue", "overflowed", "topic")

    def __init__(self, topic: str, maxsize: int, on_overflow: Callable[[], None] | None = None) -> None:
        self.topic = topic
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        self.overflowed = False
        self._on_overflow = on_overflow

    def offer(self, message: Any) -> bool:
        try:
            self._queue.put_nowait(message)
            return True
        except asyncio.QueueFull:
            self.overflowed = True
            self._drain_and_close()
            if self._on_overflow is not None:
                self._on_overflow()
            return False

    def close(self) -> None:
        self._drain_and_close()

    def latest(self) -> Any | None:
        """Take every waiting message and return the newest, None when none is waiting (for subscribers
        that only need the latest state). A close stays queued, for the iterator to see."""
        newest = None
        while not self._queue.empty():
            message = self._queue.get_nowait()
            if message is _CLOSED:
                self._drain_and_close()  # what came after a close is moot: the close goes first
                return None
            newest = message
        return newest

    def _drain_and_close(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(_CLOSED)

    def __aiter__(self) -> Subscriber:
        return self

    async def __anext__(self) -> Any:
        message = await self._queue.get()
        if message is _CLOSED:
            if self.overflowed:
                raise SubscriberOverflow(f"subscriber to {self.topic!r} could not keep up and was dropped")
            raise StopAsyncIteration
        return message


class PubSub:
    def __init__(self, queue_size: int = 1024) -> None:
        self.queue_size = queue_size
        self._topics: dict[str, set[Subscriber]] = {}
        self.published_total = 0
        self.dropped_total = 0

    def publish(self, topic: str, message: Any) -> int:
        """Offer a message to every subscriber of `topic`; returns how many got it."""
        subscribers = self._topics.get(topic)
        self.published_total += 1
        if not subscribers:
            return 0
        delivered = 0
        for subscriber in tuple(subscribers):
            if subscriber.offer(message):
                delivered += 1
            else:
                subscribers.discard(subscriber)
                self.dropped_total += 1
                logger.warning("dropped a slow subscriber of %r", topic)
        return delivered

    @asynccontextmanager
    async def subscribe(self, topic: str, on_overflow: Callable[[], None] | None = None) -> AsyncIterator[Subscriber]:
        """`on_overflow` runs (synchronously, in publish) when this subscriber is dropped as too slow."""
        subscriber = Subscriber(topic, self.queue_size, on_overflow)
        self._topics.setdefault(topic, set()).add(subscriber)
        try:
            yield subscriber
        finally:
            subscribers = self._topics.get(topic)
            if subscribers is not None:
                subscribers.discard(subscriber)
                if not subscribers:
                    del self._topics[topic]

    def subscriber_count(self, topic: str | None = None) -> int:
        if topic is not None:
            return len(self._topics.get(topic, ()))
        return sum(len(s) for s in self._topics.values())

    def close_all(self) -> None:
        for subscribers in self._topics.values():
            for subscriber in subscribers:
                subscriber.close()
        self._topics.clear()

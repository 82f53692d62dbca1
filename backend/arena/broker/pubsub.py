"""In-process publish/subscribe with a bounded queue per subscriber.

`publish` never blocks and never grows memory: a subscriber whose queue is full
is dropped (its iterator raises `SubscriberOverflow`) instead of stalling the
publisher or the other subscribers. Every message gets the next sequence number of its
topic; a subscriber knows the number of the message it last took (`seq`), so whoever joins
a stream later can tell which messages came after it joined.
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
    __slots__ = ("_on_overflow", "_queue", "overflowed", "seq", "topic")

    def __init__(self, topic: str, maxsize: int, on_overflow: Callable[[], None] | None = None) -> None:
        self.topic = topic
        self._queue: asyncio.Queue[Any] = asyncio.Queue(maxsize)
        self.overflowed = False
        self._on_overflow = on_overflow
        self.seq = 0  # the sequence number of the message taken last

    def offer(self, message: Any, seq: int = 0) -> bool:
        try:
            self._queue.put_nowait((seq, message))
            return True
        except asyncio.QueueFull:
            self.overflowed = True
            self._drain_and_close()
            if self._on_overflow is not None:
                self._on_overflow()
            return False

    def empty(self) -> bool:
        return self._queue.empty()

    def before_wait(self) -> None:
        """A reader is about to wait for something other than the next message (nothing to do here)."""

    def close(self) -> None:
        """End the stream after what is already queued (all of it, when there is room for the end)."""
        try:
            self._queue.put_nowait((0, _CLOSED))
        except asyncio.QueueFull:
            self._drain_and_close()

    def latest(self) -> Any | None:
        """Take every waiting message and return the newest, None when none is waiting (for subscribers
        that only need the latest state). A close stays queued, for the iterator to see."""
        newest = None
        while not self._queue.empty():
            seq, message = self._queue.get_nowait()
            if message is _CLOSED:
                self._drain_and_close()  # what came after a close is moot: the close goes first
                return None
            self.seq, newest = seq, message
        return newest

    def _drain_and_close(self) -> None:
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait((0, _CLOSED))

    def __aiter__(self) -> Subscriber:
        return self

    async def __anext__(self) -> Any:
        seq, message = await self._queue.get()
        if message is _CLOSED:
            if self.overflowed:
                raise SubscriberOverflow(f"subscriber to {self.topic!r} could not keep up and was dropped")
            raise StopAsyncIteration
        self.seq = seq
        return message


class PubSub:
    def __init__(self, queue_size: int = 1024) -> None:
        self.queue_size = queue_size
        self._topics: dict[str, set[Subscriber]] = {}
        self._sequences: dict[str, int] = {}
        self._retained: dict[str, Any] = {}
        self.published_total = 0
        self.dropped_total = 0

    def publish(self, topic: str, message: Any, *, retain: bool = False) -> int:
        """Offer a message to every subscriber of `topic`; returns how many got it. A retained
        message is kept as the topic's current state (`retained`) until the next one."""
        if retain:
            self._retained[topic] = message
        subscribers = self._topics.get(topic)
        self.published_total += 1
        seq = self._sequences[topic] = self._sequences.get(topic, 0) + 1
        if not subscribers:
            return 0
        delivered = 0
        for subscriber in tuple(subscribers):
            if subscriber.offer(message, seq):
                delivered += 1
            else:
                subscribers.discard(subscriber)
                self.dropped_total += 1
                logger.warning("dropped a slow subscriber of %r", topic)
        return delivered

    @asynccontextmanager
    async def subscribe(self, topic: str, on_overflow: Callable[[], None] | None = None) -> AsyncIterator[Subscriber]:
        """`on_overflow` runs (synchronously, in publish) when this subscriber is dropped as too slow."""
        subscriber = self.attach(topic, on_overflow)
        try:
            yield subscriber
        finally:
            self.detach(subscriber)

    def attach(self, topic: str, on_overflow: Callable[[], None] | None = None) -> Subscriber:
        """A subscriber from now on (no await: nothing published can slip in between); `detach` it."""
        subscriber = Subscriber(topic, self.queue_size, on_overflow)
        self._topics.setdefault(topic, set()).add(subscriber)
        return subscriber

    def detach(self, subscriber: Subscriber) -> None:
        subscribers = self._topics.get(subscriber.topic)
        if subscribers is not None:
            subscribers.discard(subscriber)
            if not subscribers:
                del self._topics[subscriber.topic]

    def retained(self, topic: str) -> Any | None:
        """The topic's last retained message: the state as of `sequence(topic)`."""
        return self._retained.get(topic)

    def sequence(self, topic: str) -> int:
        """The sequence number of the topic's last message (0 before the first)."""
        return self._sequences.get(topic, 0)

    def subscriber_count(self, topic: str | None = None) -> int:
        if topic is not None:
            return len(self._topics.get(topic, ()))
        return sum(len(s) for s in self._topics.values())

    def close_all(self) -> None:
        """End every stream (at shutdown): each subscriber still gets what was published before."""
        for subscribers in self._topics.values():
            for subscriber in subscribers:
                subscriber.close()
        self._topics.clear()

"""Subscription groups: one execution and one encoding per event for every subscriber of the same
document, operation and variables.

A `Group` holds one pub/sub subscriber of its topic and one run of the document over it (the
`Live` phase); each result is encoded once and offered to every `Member` that joined before the
event was published. A member has its own bounded buffer, drained by its own operation task: a
slow socket only ever fills its own buffer, and one that overflows is closed (1013) while its
group keeps its pace. The send loop yields to the event loop every `yield_every` offers, so a
big group never holds the loop for a whole event; writers are woken when it yields, so the
several results of one event cost each writer one wake-up. When the last member leaves, the group's run
is cancelled and its subscriber detached: nothing is left behind.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from strawberry.types.execution import PreExecutionError

from arena.api.fanout.frames import envelope, payload_of
from arena.api.fanout.keys import GroupKey
from arena.api.fanout.phase import Live
from arena.broker.pubsub import Subscriber, SubscriberOverflow

if TYPE_CHECKING:
    import strawberry

    from arena.api.context import AppState

logger = logging.getLogger(__name__)

WAKE_BATCH = 64  # writers woken per pass of the event loop (each sends what it has, a few frames)
YIELD_EVERY = 1000  # offers between yields: an offer is a few µs, the sends are the writers'


def compact_json(data: object) -> str:
    return json.dumps(data, separators=(",", ":"))  # what Strawberry's views encode with


class Member:
    """One subscriber in a group: its envelope, the sequence number it joined after, its buffer.
    The buffer holds at most `limit` events' frames (an event may give several: a batch's
    quotes), as a lone subscriber's queue holds `limit` events."""

    __slots__ = (
        "_buffer",
        "_close_slow",
        "_events",
        "_last_seq",
        "_limit",
        "_pending",
        "_wake",
        "closed",
        "envelope",
        "group",
        "joined_after",
        "overflowed",
        "snapshot_complete",
    )

    def __init__(self, protocol: str, operation_id: str, limit: int, close_slow: Callable[[], None]) -> None:
        self.envelope = envelope(protocol, operation_id)
        self.joined_after = 0
        self.group: Group | None = None
        self.closed = False  # the group ended (or the member overflowed): nothing more is offered
        self.overflowed = False
        self.snapshot_complete = False
        self._buffer: deque[tuple[int, str]] = deque()  # (event seq, frame)
        self._events = 0  # distinct events in the buffer
        self._last_seq = -1
        self._pending = False  # a wake-up is on its way
        self._limit = limit
        self._close_slow = close_slow
        self._wake = asyncio.Event()

    @property
    def joined(self) -> bool:
        return self.group is not None

    def snapshot_sent(self) -> None:
        self.snapshot_complete = True

    def offer(self, seq: int, frame: str) -> bool:
        """Buffer a frame of event `seq`; True when the writer must be woken for it (see `wake`)."""
        if self.closed:
            return False
        if seq != self._last_seq:
            if self._events >= self._limit:
                self.overflow()
                return False
            self._events += 1
            self._last_seq = seq
        self._buffer.append((seq, frame))
        if self._pending or self._wake.is_set():
            return False
        self._pending = True
        return True

    def wake(self) -> None:
        self._pending = False
        self._wake.set()

    def overflow(self) -> None:
        """Too far behind: drop what waits and close the socket (1013), as a lone subscriber would be."""
        if self.overflowed:
            return
        self.overflowed = self.closed = True
        self._buffer.clear()
        self._events = 0
        self._wake.set()
        self._close_slow()

    def end(self) -> None:
        """The group's stream ended: what is buffered is still sent, then the operation completes."""
        self.closed = True
        self._wake.set()

    async def send_all(self, send_text: Callable[[str], Awaitable[None]]) -> None:
        """Send the buffered frames as they come, until the group ends or the member overflows."""
        buffer = self._buffer
        while True:
            while buffer:
                seq, frame = buffer.popleft()
                if not buffer or buffer[0][0] != seq:
                    self._events -= 1  # the event's last frame
                await send_text(frame)
            if self.closed:
                return
            self._wake.clear()
            await self._wake.wait()


class Waker:
    """Wakes members' writers once an event's results are all offered (when the group's stream
    waits for the next event, or the next event has come), a few at a time, one batch per pass
    of the event loop: a batch's several quotes cost each writer one wake-up, not one per
    result, and a thousand writers woken at once never make one long pass that stalls the loop."""

    def __init__(self, batch: int) -> None:
        self.batch = batch
        self._waiting: deque[Member] = deque()
        self._held: list[Member] = []
        self._scheduled: asyncio.AbstractEventLoop | None = None  # the loop a pump is scheduled on

    def hold(self, members: list[Member]) -> None:
        """Writers to wake at the next `flush`."""
        self._held.extend(members)

    def flush(self) -> None:
        if not self._held:
            return
        self._waiting.extend(self._held)
        self._held = []
        loop = asyncio.get_running_loop()
        if self._scheduled is not loop:  # none scheduled (or on a loop that is gone)
            self._scheduled = loop
            loop.call_soon(self._pump)

    def _pump(self) -> None:
        waiting = self._waiting
        for _ in range(min(self.batch, len(waiting))):
            waiting.popleft().wake()
        if waiting:
            asyncio.get_running_loop().call_soon(self._pump)  # the next pass: the loop runs in between
        else:
            self._scheduled = None


class GroupEvents:
    """The group's subscriber as its shared run iterates it: before waiting for the next event,
    the writers of what was offered are woken."""

    __slots__ = ("_events", "_idle")

    def __init__(self, events: Subscriber, idle: Callable[[], None]) -> None:
        self._events = events
        self._idle = idle

    @property
    def seq(self) -> int:
        return self._events.seq

    def __aiter__(self) -> GroupEvents:
        return self

    async def __anext__(self) -> Any:
        if self._events.empty():
            self._idle()
        return await self._events.__anext__()

    def latest(self) -> Any | None:
        return self._events.latest()

    def before_wait(self) -> None:
        """The run is about to wait for something else (a rate limit): send what was offered."""
        self._idle()


class Group:
    def __init__(self, hub: FanoutHub, key: GroupKey, topic: str) -> None:
        self.hub = hub
        self.key = key
        self.topic = topic
        self.members: dict[Member, None] = {}  # insertion-ordered set
        self.events: Subscriber = hub.state.pubsub.attach(topic, on_overflow=self._overflowed)
        self._last_seq = 0
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        from arena.api.context import Context  # the context module needs this one's types

        document, operation_name, variables = self.key
        context = Context(self.hub.state, None, phase=Live(GroupEvents(self.events, self.hub.waker.flush)))
        try:
            source = await self.hub.schema.subscribe(
                document, variable_values=json.loads(variables), context_value=context, operation_name=operation_name
            )
            try:
                async for result in source:
                    if isinstance(result, PreExecutionError):  # members validated it: not expected, never silent
                        logger.error("a subscription group could not start: %s", result.errors)
                        return
                    await self._deliver(self.events.seq, compact_json(payload_of(result)))
            finally:
                await source.aclose()
        except asyncio.CancelledError:
            raise
        except SubscriberOverflow:
            pass  # said once, as a warning, when it happened: its members are being closed
        except Exception:
            logger.exception("a subscription group's stream failed")
        finally:
            self._ended()

    async def _deliver(self, seq: int, payload: str) -> None:
        waker = self.hub.waker
        if seq != self._last_seq:
            waker.flush()  # a new event: what the last one offered goes out now
            self._last_seq = seq
        frames: dict[str, str] = {}  # envelope -> frame: members with the same operation id share one text
        to_wake: list[Member] = []
        offered = 0
        for member in tuple(self.members):
            if member.joined_after >= seq:
                continue  # it joined after this event: its snapshot has it
            frame = frames.get(member.envelope)
            if frame is None:
                frame = frames[member.envelope] = member.envelope + payload + "}"
            if member.offer(seq, frame):
                to_wake.append(member)
            offered += 1
            if offered % self.hub.yield_every == 0:
                waker.hold(to_wake)
                waker.flush()
                to_wake = []
                await asyncio.sleep(0)
        waker.hold(to_wake)

    def _overflowed(self) -> None:
        self.hub.forget(self)  # no one joins a group that can no longer keep up
        logger.warning(
            "a subscription group fell behind its topic %r; its %d members are closed", self.topic, len(self.members)
        )
        for member in tuple(self.members):
            member.overflow()

    def _ended(self) -> None:
        self.hub.forget(self)
        for member in tuple(self.members):
            member.end()
        self.members.clear()

    def leave(self, member: Member) -> None:
        self.members.pop(member, None)
        if not self.members:
            self.hub.forget(self)
            self.task.cancel()

    def close(self) -> None:
        self.hub.state.pubsub.detach(self.events)


class FanoutHub:
    """Every live group of the process, by key."""

    def __init__(
        self,
        state: AppState,
        schema: strawberry.Schema,
        *,
        enabled: bool = True,
        yield_every: int = YIELD_EVERY,
        wake_batch: int = WAKE_BATCH,
    ) -> None:
        self.state = state
        self.schema = schema
        self.enabled = enabled
        self.yield_every = yield_every
        self.waker = Waker(wake_batch)
        self.groups: dict[GroupKey, Group] = {}

    def join(self, member: Member, key: GroupKey, topic: str) -> None:
        """Add `member` to the group of `key` (made now if there is none). Synchronous, so the caller's
        snapshot, taken in the same step, is exactly the state before what the member gets next."""
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = Group(self, key, topic)
        member.joined_after = self.state.pubsub.sequence(topic)
        member.group = group
        group.members[member] = None

    def leave(self, member: Member) -> None:
        group = member.group
        if group is not None:
            member.group = None
            group.leave(member)

    def forget(self, group: Group) -> None:
        if self.groups.get(group.key) is group:
            del self.groups[group.key]
        group.close()

    def member_count(self) -> int:
        return sum(len(g.members) for g in self.groups.values())

"""How a subscription resolver runs when it is part of a group.

A member's own run (`Joining`) checks the caller's access, joins the group and sends its first
snapshot; the group's shared run (`Live`) turns the topic's events into results once for every
member. A resolver with no phase runs alone: snapshot, then its own stream (the plain path)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol


class Events(Protocol):
    """A stream of a topic's messages (`arena.broker.pubsub.Subscriber`, or a group's view of one)."""

    @property
    def seq(self) -> int: ...

    def __aiter__(self) -> Events: ...

    async def __anext__(self) -> Any: ...

    def latest(self) -> Any | None: ...

    def before_wait(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Joining:
    join: Callable[[str], None]  # called with the topic, in the same step the snapshot is taken
    snapshot_sent: Callable[[], None]  # called once the resolver sent its whole snapshot without raising


@dataclass(frozen=True, slots=True)
class Live:
    events: Events  # the group's own subscriber to its topic


SubscriptionPhase = Joining | Live

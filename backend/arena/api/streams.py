"""A subscription's stream of a pub/sub topic, closing the client's websocket if it falls too far behind.

`open_feed` is what every streaming resolver enters: it says whether to send the first snapshot
and gives the events to follow, whichever way the subscription runs (`arena.api.fanout.phase`):
alone (snapshot, then its own subscriber), as a group member joining (snapshot only: the group
sends the rest) or as the group's shared run (events only). Entering it never awaits, so the
snapshot a resolver takes right after is exactly the state before the first event it follows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from starlette.websockets import WebSocket
from strawberry.types import Info

from arena.api.context import Context
from arena.api.fanout.phase import Events, Joining, Live

logger = logging.getLogger(__name__)

SLOW_SUBSCRIBER_CLOSE_CODE = 1013  # "try again later": the connection could not keep up and was closed
# A stalled client takes the close frame only when it reads again (the transport waits to be
# writable); if it never does, the server's keepalive (20 s ping, 20 s timeout) drops it first.
SLOW_SUBSCRIBER_CLOSE_TIMEOUT = 60.0

_closing: set[asyncio.Task[None]] = set()


class _NoEvents:
    """A joining member's events: none (its group sends them)."""

    def __aiter__(self) -> _NoEvents:
        return self

    async def __anext__(self) -> Any:
        raise StopAsyncIteration

    def latest(self) -> Any | None:
        return None

    def before_wait(self) -> None:
        pass


@dataclass(frozen=True, slots=True)
class Feed:
    snapshot: bool  # send the current state first
    events: Events | _NoEvents


@asynccontextmanager
async def open_feed(info: Info[Context, None], topic: str) -> AsyncIterator[Feed]:
    """`async with open_feed(info, topic) as feed:` the snapshot flag and the topic's events from now on."""
    phase = info.context.phase
    if isinstance(phase, Live):
        yield Feed(snapshot=False, events=phase.events)
    elif isinstance(phase, Joining):
        phase.join(topic)
        yield Feed(snapshot=True, events=_NoEvents())
        phase.snapshot_sent()  # not reached when the snapshot raised: alone, that error ends the stream
    else:
        pubsub = info.context.state.pubsub
        subscriber = pubsub.attach(topic, on_overflow=_slow_closer(info.context.request))
        try:
            yield Feed(snapshot=True, events=subscriber)
        finally:
            pubsub.detach(subscriber)


def close_slow_websocket(websocket: WebSocket) -> None:
    """Close a websocket that could not keep up (1013), from synchronous code (the publisher's loop)."""
    task = asyncio.get_running_loop().create_task(_close(websocket))
    _closing.add(task)
    task.add_done_callback(_closing.discard)


def _slow_closer(request: Any) -> Any:
    if not isinstance(request, WebSocket):
        return None
    return lambda: close_slow_websocket(request)


async def _close(websocket: WebSocket) -> None:
    logger.warning("closing a websocket whose subscriber could not keep up (code %d)", SLOW_SUBSCRIBER_CLOSE_CODE)
    try:
        async with asyncio.timeout(SLOW_SUBSCRIBER_CLOSE_TIMEOUT):
            await websocket.close(SLOW_SUBSCRIBER_CLOSE_CODE, "subscriber too slow")
    except (TimeoutError, RuntimeError, OSError) as exc:
        logger.info("the slow websocket did not take its close frame in time %r", exc)

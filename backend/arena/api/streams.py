"""A subscription's stream of a pub/sub topic, closing the client's websocket if it falls too far behind."""

from __future__ import annotations

import asyncio
import logging
from contextlib import AbstractAsyncContextManager

from starlette.websockets import WebSocket
from strawberry.types import Info

from arena.api.context import Context
from arena.broker.pubsub import Subscriber

logger = logging.getLogger(__name__)

SLOW_SUBSCRIBER_CLOSE_CODE = 1013  # "try again later": the connection could not keep up and was closed
SLOW_SUBSCRIBER_CLOSE_TIMEOUT = 5.0

_closing: set[asyncio.Task[None]] = set()


def open_stream(info: Info[Context, None], topic: str) -> AbstractAsyncContextManager[Subscriber]:
    """`async with open_stream(info, topic) as messages:` the topic's messages from now on."""
    request = info.context.request

    def close_slow_connection() -> None:
        if isinstance(request, WebSocket):
            task = asyncio.get_running_loop().create_task(_close(request))
            _closing.add(task)
            task.add_done_callback(_closing.discard)

    return info.context.state.pubsub.subscribe(topic, on_overflow=close_slow_connection)


async def _close(websocket: WebSocket) -> None:
    logger.warning("closing a websocket whose subscriber could not keep up (code %d)", SLOW_SUBSCRIBER_CLOSE_CODE)
    try:
        async with asyncio.timeout(SLOW_SUBSCRIBER_CLOSE_TIMEOUT):
            await websocket.close(SLOW_SUBSCRIBER_CLOSE_CODE, "subscriber too slow")
    except (TimeoutError, RuntimeError, OSError):
        logger.info("the slow websocket did not take its close frame in time")

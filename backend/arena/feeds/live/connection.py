"""One exchange websocket, kept open: connect, subscribe, read; on a drop or a silence, back off
(exponentially, with jitter) and connect again. It reports every tick and how it is doing."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import urlparse

import websockets
from websockets.asyncio.client import ClientConnection

from arena.feeds.base import FeedStatus
from arena.feeds.live.protocol import BadMessage, Exchange, Tick

logger = logging.getLogger(__name__)

OPEN_TIMEOUT = 10.0
CLIENT_PING_EVERY = 15.0
HEALTHY_AFTER = 30.0  # a connection that delivered this long resets the backoff
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class FeedObserver(Protocol):
    """What a live feed reports, for metrics."""

    def message(self, exchange: str, kind: str) -> None: ...

    def bad_message(self, exchange: str, kind: str) -> None: ...

    def reconnect(self, exchange: str) -> None: ...


class _Silent(Exception):
    """No message for too long: the connection is torn down and opened again."""


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 0.5
    limit: float = 30.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """`attempt` 1, 2, ...: a random wait between half and all of first * 2^(attempt-1), capped."""
        ceiling = min(self.limit, self.first * 2 ** max(0, attempt - 1))
        return rng.uniform(ceiling / 2, ceiling)


class Connection:
    def __init__(
        self,
        exchange: Exchange,
        url: str,
        symbols: Sequence[str],
        on_ticks: Callable[[Sequence[Tick]], None],
        *,
        stale_after: float = 10.0,
        observer: FeedObserver | None = None,
        backoff: Backoff = Backoff(),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.exchange = exchange
        self.url = exchange.connect_url(url, symbols)
        self.symbols = tuple(symbols)
        self.on_ticks = on_ticks
        self.stale_after = stale_after
        self.observer = observer
        self.backoff = backoff
        self.status = FeedStatus.CONNECTING
        self.last_message_at: float | None = None
        self.reconnects = 0
        self.error: str | None = None  # the latest reason the connection was not delivering
        self._monotonic = monotonic
        self._rng = random.Random()
        self._bad_kinds_logged: set[str] = set()

    async def run(self) -> None:
        """Forever (until cancelled): connect, subscribe, read, and again after any drop."""
        attempt = 0
        while True:
            opened = self._monotonic()
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, websockets.exceptions.WebSocketException, _Silent) as exc:
                reason = _reason(exc)
                # the same failure again (an exchange that stays down) is not news every few seconds
                log = logger.debug if reason == self.error else logger.warning
                log("%s: connection lost (%s); reconnecting", self.exchange.title, reason)
                self.error = reason
            if self.last_message_at is not None and self.last_message_at - opened > HEALTHY_AFTER:
                attempt = 0  # it was a good connection (e.g. a scheduled 24 h cut): come back at once
            attempt += 1
            self.reconnects += 1
            self.status = FeedStatus.RECONNECTING
            if self.observer is not None:
                self.observer.reconnect(self.exchange.name)
            await asyncio.sleep(self.backoff.delay(attempt, self._rng))

    async def _session(self) -> None:
        proxy: Literal[True] | None = None if urlparse(self.url).hostname in LOOPBACK else True
        async with websockets.connect(self.url, open_timeout=OPEN_TIMEOUT, proxy=proxy, max_size=2**22) as ws:
            for index, text in enumerate(self.exchange.subscriptions(self.symbols)):
                if index:
                    await asyncio.sleep(self.exchange.subscribe_interval)
                await ws.send(text)
            pinger = asyncio.create_task(self._ping(ws)) if self.exchange.client_ping else None
            try:
                await self._read(ws)
            finally:
                if pinger is not None:
                    pinger.cancel()

    async def _read(self, ws: ClientConnection) -> None:
        silent_windows = 0
        while True:
            try:
                # not wait_for: on Python 3.11 a cancel landing as a message arrives is lost, and
                # the feed would never stop
                async with asyncio.timeout(self.stale_after):
                    raw = await ws.recv()
            except TimeoutError:
                silent_windows += 1
                self.status = FeedStatus.STALE
                if silent_windows >= 2:  # stale for a whole window more: this line is dead
                    raise _Silent(f"no message for {silent_windows * self.stale_after:g} s") from None
                logger.warning("%s: no message for %g s: prices are stale", self.exchange.title, self.stale_after)
                continue
            silent_windows = 0
            if self.status is not FeedStatus.LIVE:
                if self.error is not None:
                    logger.info("%s: delivering again (after: %s)", self.exchange.title, self.error)
                self.error = None  # an earlier drop is history (an exchange's own error is set anew)
            self.last_message_at = self._monotonic()
            self.status = FeedStatus.LIVE
            self._handle(raw if isinstance(raw, str) else raw.decode("utf-8", "replace"))

    def _handle(self, text: str) -> None:
        try:
            decoded = self.exchange.decode(text)
        except BadMessage as bad:
            self._bad(bad)
            return
        except Exception as exc:  # a decoder bug: the message is lost, the feed is not
            if "decoder_error" not in self._bad_kinds_logged:
                logger.exception("%s: the decoder failed on %r", self.exchange.title, text[:200])
            self._bad(BadMessage("decoder_error", f"{type(exc).__name__}: {exc}"))
            return
        if self.observer is not None:
            self.observer.message(self.exchange.name, decoded.kind)
        if decoded.error is not None:
            self.error = decoded.error
            logger.warning("%s says: %s", self.exchange.title, decoded.error)
        if decoded.ticks:
            self.on_ticks(decoded.ticks)

    def bad(self, kind: str, detail: str) -> None:
        """A tick the feed refused after decoding (e.g. its time went backwards)."""
        self._bad(BadMessage(kind, detail))

    def _bad(self, bad: BadMessage) -> None:
        if self.observer is not None:
            self.observer.bad_message(self.exchange.name, bad.kind)
        if bad.kind not in self._bad_kinds_logged:  # once per kind; the counter has the rest
            self._bad_kinds_logged.add(bad.kind)
            logger.warning(
                "%s sent a message the arena ignores (%s); more of this kind are only counted", self.exchange.title, bad
            )

    async def _ping(self, ws: ClientConnection) -> None:
        assert self.exchange.client_ping is not None
        while True:
            await asyncio.sleep(CLIENT_PING_EVERY)
            await ws.send(self.exchange.client_ping)


def _reason(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text

"""What every feed is and says about itself."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol, runtime_checkable

from arena.domain.market import Quote, QuoteBatch


class FeedKind(StrEnum):
    SIMULATED = "SIMULATED"
    REPLAY = "REPLAY"
    LIVE = "LIVE"


@dataclass(frozen=True, slots=True)
class FeedInfo:
    """What a feed says about itself. `id` names it in stored ticks and in the API."""

    id: str
    kind: FeedKind
    symbols: tuple[str, ...]
    seed: int | None = None
    sources: tuple[str, ...] = ()
    description: str = ""
    note: str = ""  # why this feed, when that is news (e.g. "offline: the live feed did not answer")


class FeedStatus(StrEnum):
    """How a live feed is doing (recorded feeds have no status: they always have their next batch)."""

    CONNECTING = "CONNECTING"  # opening the first connection
    LIVE = "LIVE"  # quotes (or heartbeats) are arriving
    STALE = "STALE"  # no message for a while: prices may be old
    RECONNECTING = "RECONNECTING"  # the connection dropped; waiting to open it again


class Feed(Protocol):
    """Anything the runner can play: it says what it is."""

    @property
    def info(self) -> FeedInfo: ...


@runtime_checkable
class RecordedFeed(Feed, Protocol):
    """A deterministic feed (a simulation, a replay): the same batches every time, one per round.

    `batches()` starts from the beginning each time it is called; pacing (real time, replay
    factor, max speed) is the runner's job, not the feed's. A resumed competition replays them.
    """

    def batches(self) -> Iterator[QuoteBatch]: ...


@runtime_checkable
class LiveFeed(Feed, Protocol):
    """Batches as the world sends them: it paces itself (a round per interval, when a quote came),
    can stall and recover, and says how it is doing."""

    def stream(self) -> AsyncIterator[QuoteBatch]:
        """The batches from now on; it ends only when the feed is closed."""
        ...

    @property
    def status(self) -> FeedStatus: ...

    def last_quote_age(self) -> float | None:
        """Seconds since the last quote arrived (None before the first)."""
        ...

    async def history(self) -> list[Quote]:
        """Recent prices from before the feed started (e.g. a day of 1-minute candles), oldest first;
        raises when they cannot be had."""
        ...

    async def aclose(self) -> None: ...

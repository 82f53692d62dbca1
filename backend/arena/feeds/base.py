"""What every feed is and says about itself."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from arena.domain.market import QuoteBatch


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


class Feed(Protocol):
    """A deterministic source of quote batches, one batch per round.

    `batches()` starts from the beginning each time it is called; pacing (real
    time, replay factor, max speed) is the runner's job, not the feed's.
    """

    @property
    def info(self) -> FeedInfo: ...

    def batches(self) -> Iterator[QuoteBatch]: ...

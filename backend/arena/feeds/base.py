"""What every feed is and says about itself."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from arena.domain.market import QuoteBatch


class FeedKind(str, Enum):
    SIMULATED = "SIMULATED"
    REPLAY = "REPLAY"
    LIVE = "LIVE"


@dataclass(frozen=True, slots=True)
class FeedInfo:
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

"""Wall-clock time for events, and a competition's running time (pauses excluded)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


class RunningTime:
    """Seconds spent RUNNING: started and stopped around pauses, on the monotonic clock."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._seconds = 0.0
        self._since: float | None = None

    def reset(self) -> None:
        self._seconds = 0.0
        self._since = None

    def start(self) -> None:
        if self._since is None:
            self._since = self._monotonic()

    def stop(self) -> None:
        if self._since is not None:
            self._seconds += self._monotonic() - self._since
            self._since = None

    @property
    def seconds(self) -> float:
        extra = self._monotonic() - self._since if self._since is not None else 0.0
        return self._seconds + extra

"""A feed observer that keeps what it is told (the metrics' stand-in in feed tests)."""

from __future__ import annotations

from collections import Counter


class CountingObserver:
    def __init__(self) -> None:
        self.messages: Counter[str] = Counter()
        self.bad: Counter[str] = Counter()
        self.reconnects = 0

    def message(self, exchange: str, kind: str) -> None:
        self.messages[kind] += 1

    def bad_message(self, exchange: str, kind: str) -> None:
        self.bad[kind] += 1

    def reconnect(self, exchange: str) -> None:
        self.reconnects += 1

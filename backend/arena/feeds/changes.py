"""Rolling change over a window of feed time (24 h by default), per symbol."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

DAY = timedelta(hours=24)


@dataclass(slots=True)
class _History:
    # prices with their floats, each converted once (a Decimal's float goes through its text)
    first_price: tuple[Decimal, float]
    reference: tuple[Decimal, float] | None = None  # last price at or before (now - window)
    last_timestamp: datetime | None = None
    pending: deque[tuple[datetime, Decimal, float]] = field(default_factory=deque)


class ChangeTracker:
    """Change % of each symbol's price against its price one window of FEED time ago.

    The reference price is the last price seen at or before ``now - window``,
    where ``now`` is the timestamp of the update. Until a symbol has been seen
    for a whole window, the reference is the first price seen for it.

    Each update appends one point to a per-symbol deque and pops the points
    that have fallen out of the window (the last one popped becomes the
    reference), so an update is O(1) amortized. Timestamps of one symbol must
    not go backwards.
    """

    __slots__ = ("_histories", "_window")

    def __init__(self, window: timedelta = DAY) -> None:
        if window <= timedelta(0):
            raise ValueError(f"window must be positive, got {window}")
        self._window = window
        self._histories: dict[str, _History] = {}

    @property
    def window(self) -> timedelta:
        return self._window

    def update(self, symbol: str, price: Decimal, timestamp: datetime) -> float:
        """Record ``price`` at ``timestamp`` and return the change in percent."""
        value = float(price)
        history = self._histories.get(symbol)
        if history is None:
            history = self._histories[symbol] = _History(first_price=(price, value))
        elif history.last_timestamp is not None and timestamp < history.last_timestamp:
            raise ValueError(
                f"{symbol}: timestamp {timestamp.isoformat()} is earlier than the previous "
                f"{history.last_timestamp.isoformat()}"
            )
        history.last_timestamp = timestamp
        pending = history.pending
        pending.append((timestamp, price, value))
        cutoff = timestamp - self._window
        while pending[0][0] <= cutoff:  # never empties: the point just added is after the cutoff
            _, before, before_value = pending.popleft()
            history.reference = (before, before_value)
        reference, reference_value = history.first_price if history.reference is None else history.reference
        if reference <= 0:
            return 0.0
        return (value / reference_value - 1.0) * 100.0

    def reset(self) -> None:
        """Forget every symbol (a feed calls this when it restarts from the beginning)."""
        self._histories.clear()

"""Incremental float indicators: O(1) (amortized) work per update, never a pass over history.

Every indicator has `update(x)`, a `ready` property (warm-up complete) and a
`value`; reading `value` before `ready` raises `NotReady`, so a strategy can't
act on a half-filled window by accident.

Windowed running sums drift as floats are added and subtracted; the windowed
indicators re-derive their sums exactly from the window every `resync_every`
updates (at least the window length, so the cost stays O(1) amortized).
"""

from __future__ import annotations

import math
from collections import deque
from math import isfinite
from typing import Final

from mypy_extensions import mypyc_attr

MIN_WINDOW: Final = 1
RESYNC_AT_LEAST: Final = 64
COLLAPSE_RATIO: Final = 2.0**-20  # RollingStats: M2 below this share of its peak is recomputed


@mypyc_attr(native_class=False)
class NotReady(RuntimeError):
    """An indicator's value was read before its warm-up finished."""


def _finite(x: float) -> float:
    value = float(x)
    if not isfinite(value):
        raise _not_finite(x)
    return value


def _not_finite(x: object) -> ValueError:
    return ValueError(f"indicator input must be finite, got {x!r}")


def _checked_window(window: int, minimum: int = MIN_WINDOW) -> int:
    if isinstance(window, bool) or not isinstance(window, int) or window < minimum:
        raise ValueError(f"window must be an int >= {minimum}, got {window!r}")
    return window


class _Resync:
    """Counts updates and says when a running sum is due for an exact recompute."""

    __slots__ = ("_count", "_every")

    def __init__(self, window: int) -> None:
        self._every = max(window, RESYNC_AT_LEAST)
        self._count = 0

    def due(self) -> bool:
        self._count += 1
        if self._count >= self._every:
            self._count = 0
            return True
        return False


class SimpleMovingAverage:
    """Mean of the last `window` values, from a running sum over a deque."""

    __slots__ = ("_resync", "_sum", "_values", "window")

    def __init__(self, window: int) -> None:
        self.window = _checked_window(window)
        self._values: deque[float] = deque()
        self._sum = 0.0
        self._resync = _Resync(self.window)

    def update(self, x: float) -> None:
        value = float(x)
        if not isfinite(value):
            raise _not_finite(x)
        values = self._values
        values.append(value)
        total = self._sum + value
        if len(values) > self.window:
            total -= values.popleft()
        if self._resync.due():
            total = math.fsum(values)
        self._sum = total

    @property
    def ready(self) -> bool:
        return len(self._values) == self.window

    @property
    def value(self) -> float:
        if len(self._values) != self.window:
            raise NotReady(f"SMA({self.window}) has {len(self._values)} of {self.window} values")
        return self._sum / self.window


class RollingStats:
    """Mean and standard deviation of the last `window` values.

    Welford-style updates: adding a value, and replacing the oldest value once
    the window is full, each adjust the mean and the sum of squared deviations
    (M2) in O(1). M2 is recomputed exactly from the window periodically, and
    also at once when it collapses far below its recent peak (an outlier just
    left the window): the O(1) update's rounding error scales with that peak,
    so a tiny M2 left behind would be mostly error. `value` is the mean.
    """

    __slots__ = ("_m2", "_mean", "_peak_m2", "_resync", "_values", "window")

    def __init__(self, window: int) -> None:
        self.window = _checked_window(window, minimum=2)
        self._values: deque[float] = deque()
        self._mean = 0.0
        self._m2 = 0.0
        self._peak_m2 = 0.0  # largest M2 since the last exact recompute
        self._resync = _Resync(self.window)

    def update(self, x: float) -> None:
        value = float(x)
        if not isfinite(value):
            raise _not_finite(x)
        values = self._values
        values.append(value)
        mean, m2 = self._mean, self._m2
        if len(values) > self.window:
            old = values.popleft()
            old_mean = mean
            mean += (value - old) / self.window
            m2 += (value - old) * (value - mean + old - old_mean)
        else:
            delta = value - mean
            mean += delta / len(values)
            m2 += delta * (value - mean)
        self._mean, self._m2 = mean, m2
        if m2 > self._peak_m2:
            self._peak_m2 = m2
        # (a negative M2, which rounding can produce near zero, always counts as collapsed)
        if self._resync.due() or m2 < self._peak_m2 * COLLAPSE_RATIO:
            self._recompute()

    def _recompute(self) -> None:
        self._mean = math.fsum(self._values) / len(self._values)
        self._m2 = math.fsum((v - self._mean) ** 2 for v in self._values)
        self._peak_m2 = self._m2

    @property
    def ready(self) -> bool:
        return len(self._values) == self.window

    def _require_ready(self) -> None:
        if len(self._values) != self.window:
            raise NotReady(f"RollingStats({self.window}) has {len(self._values)} of {self.window} values")

    @property
    def mean(self) -> float:
        self._require_ready()
        return self._mean

    @property
    def value(self) -> float:
        return self.mean

    @property
    def variance(self) -> float:
        """Population variance (divides by the window length)."""
        self._require_ready()
        return self._m2 / self.window

    @property
    def sample_variance(self) -> float:
        """Sample variance (divides by window length - 1)."""
        self._require_ready()
        return self._m2 / (self.window - 1)

    @property
    def std(self) -> float:
        """Population standard deviation."""
        return math.sqrt(self.variance)

    @property
    def sample_std(self) -> float:
        return math.sqrt(self.sample_variance)

    def zscore(self, x: float) -> float | None:
        """How many population std devs `x` lies from the mean; None while the window is flat."""
        self._require_ready()
        std = math.sqrt(self._m2 / self.window)
        mean = self._mean
        if std <= 1e-12 * max(1.0, abs(mean)):
            return None
        return (x - mean) / std


class ExponentialMovingAverage:
    """EMA with alpha = 2 / (span + 1), seeded with the first value; ready after `span` values."""

    __slots__ = ("_count", "_value", "alpha", "span")

    def __init__(self, span: int) -> None:
        self.span = _checked_window(span)
        self.alpha = 2.0 / (self.span + 1.0)
        self._value = 0.0
        self._count = 0

    def update(self, x: float) -> None:
        value = float(x)
        if not isfinite(value):
            raise _not_finite(x)
        count = self._count
        if count == 0:
            self._value = value
        else:
            self._value += self.alpha * (value - self._value)
        if count < self.span:
            self._count = count + 1

    @property
    def ready(self) -> bool:
        return self._count >= self.span

    @property
    def value(self) -> float:
        if self._count < self.span:
            raise NotReady(f"EMA({self.span}) has {self._count} of {self.span} warm-up values")
        return self._value


class RollingHighLow:
    """Highest and lowest of the last `window` values, via monotonic deques (O(1) amortized).

    `value` is the pair (high, low); useful for breakout rules such as
    "price above the previous window's high".
    """

    def __init__(self, window: int) -> None:
        self.window = _checked_window(window)
        self._index = 0  # number of values seen so far
        self._highs: deque[tuple[int, float]] = deque()  # values strictly decreasing
        self._lows: deque[tuple[int, float]] = deque()  # values strictly increasing

    def update(self, x: float) -> None:
        value = _finite(x)
        while self._highs and self._highs[-1][1] <= value:
            self._highs.pop()
        while self._lows and self._lows[-1][1] >= value:
            self._lows.pop()
        self._highs.append((self._index, value))
        self._lows.append((self._index, value))
        self._index += 1
        oldest = self._index - self.window
        if self._highs[0][0] < oldest:
            self._highs.popleft()
        if self._lows[0][0] < oldest:
            self._lows.popleft()

    @property
    def ready(self) -> bool:
        return self._index >= self.window

    def _require_ready(self) -> None:
        if not self.ready:
            raise NotReady(f"RollingHighLow({self.window}) has {self._index} of {self.window} values")

    @property
    def high(self) -> float:
        self._require_ready()
        return self._highs[0][1]

    @property
    def low(self) -> float:
        self._require_ready()
        return self._lows[0][1]

    @property
    def value(self) -> tuple[float, float]:
        return self.high, self.low


class RelativeStrengthIndex:
    """Wilder's RSI over `period` changes: 100 - 100 / (1 + average gain / average loss); ready
    after `period` changes (`period` + 1 values). 100 when nothing fell, 50 when nothing moved."""

    def __init__(self, period: int = 14) -> None:
        self.period = _checked_window(period)
        self._last: float | None = None
        self._gain = 0.0
        self._loss = 0.0
        self._changes = 0

    def update(self, x: float) -> None:
        value = _finite(x)
        if self._last is not None:
            change = value - self._last
            gain, loss = max(change, 0.0), max(-change, 0.0)
            if self._changes < self.period:  # warm-up: a plain mean of the first `period` changes
                self._gain += (gain - self._gain) / (self._changes + 1)
                self._loss += (loss - self._loss) / (self._changes + 1)
                self._changes += 1
            else:
                self._gain += (gain - self._gain) / self.period
                self._loss += (loss - self._loss) / self.period
        self._last = value

    @property
    def ready(self) -> bool:
        return self._changes >= self.period

    @property
    def value(self) -> float:
        if not self.ready:
            raise NotReady(f"RSI({self.period}) has {self._changes} of {self.period} warm-up changes")
        if self._loss == 0.0:
            return 50.0 if self._gain == 0.0 else 100.0
        return 100.0 - 100.0 / (1.0 + self._gain / self._loss)

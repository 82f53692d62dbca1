"""Incremental indicators agree with a brute-force recomputation over the same history."""

from __future__ import annotations

import math
import random
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena import native
from arena.agents.indicators import (
    ExponentialMovingAverage,
    NotReady,
    RollingHighLow,
    RollingStats,
    SimpleMovingAverage,
)

values = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
series = st.lists(values, min_size=1, max_size=300)
fast = settings(max_examples=60, deadline=None)


def scale(xs: list[float]) -> float:
    return max(1.0, max(abs(x) for x in xs))


@fast
@given(series, st.integers(1, 40))
def test_sma_matches_brute_force(xs: list[float], window: int) -> None:
    sma = SimpleMovingAverage(window)
    for i, x in enumerate(xs):
        sma.update(x)
        assert sma.ready == (i + 1 >= window)
        if sma.ready:
            expected = math.fsum(xs[i + 1 - window : i + 1]) / window
            assert sma.value == pytest.approx(expected, abs=1e-9 * scale(xs[: i + 1]))


@fast
@given(series, st.integers(2, 40))
def test_rolling_stats_match_brute_force(xs: list[float], window: int) -> None:
    stats = RollingStats(window)
    for i, x in enumerate(xs):
        stats.update(x)
        assert stats.ready == (i + 1 >= window)
        if not stats.ready:
            continue
        recent = xs[i + 1 - window : i + 1]
        var_tol = 1e-10 * scale(xs[: i + 1]) ** 2
        assert stats.mean == pytest.approx(statistics.fmean(recent), abs=1e-9 * scale(xs[: i + 1]))
        assert stats.value == stats.mean
        assert stats.variance == pytest.approx(statistics.pvariance(recent), abs=var_tol)
        assert stats.sample_variance == pytest.approx(statistics.variance(recent), abs=var_tol)
        # |sqrt(a) - sqrt(b)| <= sqrt(|a - b|)
        assert abs(stats.std - statistics.pstdev(recent)) <= math.sqrt(var_tol)
        assert abs(stats.sample_std - statistics.stdev(recent)) <= math.sqrt(var_tol)
        assert stats.variance >= 0.0


def test_rolling_stats_do_not_drift_over_a_long_run() -> None:
    """Large level, small spread, rare huge outliers, many updates: the float-cancellation traps."""
    rng = random.Random(7)
    window = 50
    stats = RollingStats(window)
    sma = SimpleMovingAverage(window)
    xs = [1e6 + rng.gauss(0.0, 0.01) + (1e5 if i % 997 == 0 else 0.0) for i in range(20_000)]
    for i, x in enumerate(xs):
        stats.update(x)
        sma.update(x)
        if i >= window and i % 5 == 0:
            recent = xs[i + 1 - window : i + 1]
            mean = math.fsum(recent) / window
            std = math.sqrt(math.fsum((v - mean) ** 2 for v in recent) / window)
            assert stats.std == pytest.approx(std, rel=1e-6), i
            assert sma.value == pytest.approx(mean, rel=1e-12), i


def test_zscore_against_the_window_and_flat_window() -> None:
    stats = RollingStats(4)
    for x in (1.0, 2.0, 3.0, 4.0):
        stats.update(x)
    std = statistics.pstdev([1.0, 2.0, 3.0, 4.0])
    assert stats.zscore(0.0) == pytest.approx((0.0 - 2.5) / std)
    flat = RollingStats(3)
    for _ in range(3):
        flat.update(5.0)
    assert flat.zscore(1.0) is None


@fast
@given(series, st.integers(1, 40))
def test_ema_matches_closed_form(xs: list[float], span: int) -> None:
    ema = ExponentialMovingAverage(span)
    alpha = 2.0 / (span + 1.0)
    for i, x in enumerate(xs):
        ema.update(x)
        assert ema.ready == (i + 1 >= span)
        if ema.ready:
            # value = (1-a)^i * x0 + sum_{k=1..i} a (1-a)^(i-k) x_k
            expected = math.fsum(
                [(1 - alpha) ** i * xs[0]] + [alpha * (1 - alpha) ** (i - k) * xs[k] for k in range(1, i + 1)]
            )
            assert ema.value == pytest.approx(expected, abs=1e-9 * scale(xs[: i + 1]))


@fast
@given(series, st.integers(1, 40))
def test_high_low_matches_brute_force(xs: list[float], window: int) -> None:
    extremes = RollingHighLow(window)
    for i, x in enumerate(xs):
        extremes.update(x)
        assert extremes.ready == (i + 1 >= window)
        if extremes.ready:
            recent = xs[i + 1 - window : i + 1]
            assert extremes.value == (max(recent), min(recent))
            assert extremes.high == max(recent) and extremes.low == min(recent)


@pytest.mark.parametrize(
    "indicator",
    [SimpleMovingAverage(3), RollingStats(3), ExponentialMovingAverage(3), RollingHighLow(3)],
    ids=type,
)
def test_value_before_warm_up_raises(indicator: SimpleMovingAverage) -> None:
    indicator.update(1.0)
    assert not indicator.ready
    with pytest.raises(NotReady):
        _ = indicator.value


@pytest.mark.parametrize(
    "bad",
    [
        0,
        -1,
        2.5,
        pytest.param(
            True,
            marks=pytest.mark.skipif(
                native.status().active, reason="compiled, an int parameter takes a bool as the int it is"
            ),
        ),
        "3",
    ],
)
def test_invalid_windows_are_refused(bad: object) -> None:
    # (compiled, the round's modules refuse a value of the wrong type with a TypeError before looking at it)
    with pytest.raises((ValueError, TypeError)):
        SimpleMovingAverage(bad)  # type: ignore[arg-type]


def test_rolling_stats_need_two_values() -> None:
    with pytest.raises(ValueError):
        RollingStats(1)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_input_is_refused(bad: float) -> None:
    for indicator in (SimpleMovingAverage(2), RollingStats(2), ExponentialMovingAverage(2), RollingHighLow(2)):
        with pytest.raises(ValueError):
            indicator.update(bad)

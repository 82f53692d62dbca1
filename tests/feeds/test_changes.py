"""ChangeTracker: change % against the last price at or before 24 h of feed time ago."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.feeds.changes import ChangeTracker

T0 = datetime(2024, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def pct(price: str, reference: str) -> float:
    return (float(price) / float(reference) - 1.0) * 100.0


def test_first_update_is_zero() -> None:
    assert ChangeTracker().update("BTC", Decimal("100"), T0) == 0.0


def test_before_a_full_day_the_reference_is_the_first_price() -> None:
    tracker = ChangeTracker()
    tracker.update("BTC", Decimal("100"), T0)
    tracker.update("BTC", Decimal("150"), T0 + HOUR)
    assert tracker.update("BTC", Decimal("110"), T0 + 23 * HOUR) == pytest.approx(10.0)


def test_a_price_exactly_one_day_old_is_the_reference() -> None:
    tracker = ChangeTracker()
    tracker.update("BTC", Decimal("100"), T0)
    tracker.update("BTC", Decimal("200"), T0 + HOUR)
    assert tracker.update("BTC", Decimal("300"), T0 + 25 * HOUR) == pytest.approx(pct("300", "200"))


def test_the_reference_is_the_last_price_at_or_before_a_day_ago() -> None:
    tracker = ChangeTracker()
    tracker.update("X", Decimal("100"), T0)
    tracker.update("X", Decimal("120"), T0 + 2 * HOUR)
    tracker.update("X", Decimal("130"), T0 + 5 * HOUR)
    # now - 24h = T0 + 4h: the last price at or before that is 120 (2h), not 130 (5h).
    assert tracker.update("X", Decimal("90"), T0 + 28 * HOUR) == pytest.approx(pct("90", "120"))
    # a long gap: everything is older than a day, so the latest of them is the reference.
    assert tracker.update("X", Decimal("99"), T0 + 100 * HOUR) == pytest.approx(pct("99", "90"))


def test_symbols_are_tracked_independently() -> None:
    tracker = ChangeTracker()
    tracker.update("A", Decimal("10"), T0)
    tracker.update("B", Decimal("50"), T0 + 30 * HOUR)
    assert tracker.update("A", Decimal("11"), T0 + 30 * HOUR) == pytest.approx(10.0)
    assert tracker.update("B", Decimal("55"), T0 + 31 * HOUR) == pytest.approx(10.0)


def test_a_timestamp_going_backwards_is_refused() -> None:
    tracker = ChangeTracker()
    tracker.update("A", Decimal("10"), T0 + HOUR)
    with pytest.raises(ValueError, match="earlier"):
        tracker.update("A", Decimal("10"), T0)


def test_reset_forgets_everything() -> None:
    tracker = ChangeTracker()
    tracker.update("A", Decimal("10"), T0)
    tracker.reset()
    assert tracker.update("A", Decimal("20"), T0 + HOUR) == 0.0


def test_custom_window() -> None:
    tracker = ChangeTracker(window=HOUR)
    tracker.update("A", Decimal("10"), T0)
    assert tracker.update("A", Decimal("12"), T0 + HOUR) == pytest.approx(20.0)
    with pytest.raises(ValueError):
        ChangeTracker(window=timedelta(0))


def test_history_stays_bounded_by_the_window() -> None:
    tracker = ChangeTracker()
    for minute in range(5 * 1440):
        tracker.update("A", Decimal(100 + minute % 7), T0 + timedelta(minutes=minute))
    # only the points inside the last day are kept: memory does not grow with the run
    assert len(tracker._histories["A"].pending) <= 1440


def brute_force_change(points: list[tuple[datetime, Decimal]]) -> float:
    now, price = points[-1]
    older = [p for t, p in points if t <= now - timedelta(hours=24)]
    reference = older[-1] if older else points[0][1]
    return (float(price) / float(reference) - 1.0) * 100.0


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=40 * 3600),
            st.decimals(min_value="0.01", max_value="100000", places=2),
        ),
        min_size=1,
        max_size=60,
    )
)
def test_matches_a_brute_force_scan(steps: list[tuple[int, Decimal]]) -> None:
    tracker = ChangeTracker()
    points: list[tuple[datetime, Decimal]] = []
    now = T0
    for gap_seconds, price in steps:
        now += timedelta(seconds=gap_seconds)
        points.append((now, price))
        assert tracker.update("S", price, now) == pytest.approx(brute_force_change(points))

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.dialects import sqlite

from arena.store.columns import DecimalText, UTCDateTime, from_micros, to_micros
from arena.store.errors import RecordError
from arena.store.plan import exact_text

DIALECT = sqlite.dialect()
decimals = st.decimals(allow_nan=False, allow_infinity=False)
# Fixed offsets: with DST zones, Python itself says a local time in a gap or fold is
# unequal to the same instant in another zone (PEP 495), whatever the storage does.
offsets = st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59))
aware = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.builds(timezone, offsets)
)


def _roundtrip(kind: DecimalText | UTCDateTime, value: object) -> object:
    return kind.process_result_value(kind.process_bind_param(value, DIALECT), DIALECT)


@given(decimals)
def test_decimal_text_round_trips_exactly(value: Decimal) -> None:
    back = _roundtrip(DecimalText(), value)
    assert back == value
    assert back.as_tuple() == value.as_tuple()  # same digits and exponent, not just numerically equal


def test_decimal_text_keeps_trailing_zeros_and_tiny_values() -> None:
    for text in ("10000.00", "1E-8", "0.00000001", "-0", "123456789012345678901234567890.123456789"):
        value = Decimal(text)
        assert _roundtrip(DecimalText(), value).as_tuple() == value.as_tuple()  # type: ignore[union-attr]


@pytest.mark.parametrize("bad", [1.5, "1.5", True])
def test_decimal_text_refuses_inexact_inputs(bad: object) -> None:
    with pytest.raises(TypeError):
        DecimalText().process_bind_param(bad, DIALECT)


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity")])
def test_decimal_text_refuses_non_finite(bad: Decimal) -> None:
    with pytest.raises(ValueError):
        DecimalText().process_bind_param(bad, DIALECT)


@given(aware)
def test_utc_datetime_round_trips_aware_and_equal(value: datetime) -> None:
    back = _roundtrip(UTCDateTime(), value)
    assert isinstance(back, datetime)
    assert back == value
    assert back.tzinfo is UTC


@given(aware, aware)
def test_stored_integers_sort_like_the_instants(a: datetime, b: datetime) -> None:
    assert (to_micros(a) < to_micros(b)) == (a < b)
    assert from_micros(to_micros(a)) == a


def test_utc_datetime_refuses_naive() -> None:
    with pytest.raises(ValueError):
        UTCDateTime().process_bind_param(datetime(2024, 1, 1), DIALECT)


def test_other_zones_become_utc() -> None:
    local = datetime(2024, 6, 1, 9, 30, tzinfo=timezone(timedelta(hours=-4)))
    assert _roundtrip(UTCDateTime(), local) == datetime(2024, 6, 1, 13, 30, tzinfo=UTC)


@given(st.one_of(aware, st.datetimes(timezones=st.builds(timezone, offsets))))
def test_stored_microseconds_are_the_exact_distance_from_the_epoch(value: datetime) -> None:
    """What `to_micros` works out from the fields is the timedelta arithmetic's own answer (years 1-9999)."""
    assert to_micros(value) == (value - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def test_a_decimal_text_that_is_not_a_number_is_refused_by_the_batch_plan() -> None:
    for bad in ("NaN", "-NaN", "sNaN", "Infinity", "-Infinity"):
        with pytest.raises(RecordError):
            exact_text(Decimal(bad))
    for good in ("0", "-0", "1E+5", "1E-8", "10000.00000000", "-3.21"):
        assert exact_text(Decimal(good)) == good == str(Decimal(good))

"""Timestamps as the store keeps them: integer microseconds since the Unix epoch (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY = EPOCH.toordinal()
_DAY_MICROS = 86_400_000_000


def to_micros(value: datetime) -> int:
    """Exact microseconds since the epoch; refuses naive datetimes.

    `(value - EPOCH) // timedelta(microseconds=1)`, in integer arithmetic on the fields: every
    stored row converts its time, and the timedelta division goes through Python's big integers
    (~6x the work)."""
    offset = value.utcoffset() if value.tzinfo is not None else None
    if offset is None:
        raise ValueError(f"naive datetime cannot be stored: {value!r}")
    micros = (value.toordinal() - _EPOCH_DAY) * _DAY_MICROS + (
        ((value.hour * 60 + value.minute) * 60 + value.second) * 1_000_000 + value.microsecond
    )
    if offset:
        micros -= offset.days * _DAY_MICROS + offset.seconds * 1_000_000 + offset.microseconds
    return micros


def from_micros(value: int) -> datetime:
    return EPOCH + timedelta(microseconds=value)

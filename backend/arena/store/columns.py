"""Column types that keep money exact and timestamps aware.

* `DecimalText` stores a `Decimal` as its exact string form (TEXT), never as a
  REAL, so every digit and the exponent round-trip unchanged. SQL cannot order
  or sum these columns numerically; compare and add in Python.
* `UTCDateTime` stores an aware datetime as integer microseconds since the Unix
  epoch (UTC). Integers sort chronologically and support range queries; values
  come back as aware UTC datetimes equal to what was written.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import BigInteger, Dialect, Text
from sqlalchemy.types import TypeDecorator

from arena.store.micros import EPOCH, from_micros, to_micros

__all__ = ["EPOCH", "DecimalText", "UTCDateTime", "from_micros", "to_micros"]


class DecimalText(TypeDecorator[Decimal]):
    """An exact `Decimal` stored as TEXT."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise TypeError(f"DecimalText needs a Decimal or int, got {type(value).__name__}: {value!r}")
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f"non-finite Decimal cannot be stored: {value!r}")
        return str(number)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        try:
            return Decimal(value)
        except InvalidOperation as exc:
            raise ValueError(f"corrupt decimal in database: {value!r}") from exc

    @property
    def python_type(self) -> type[Decimal]:
        return Decimal


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as integer microseconds since the epoch (UTC)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"UTCDateTime needs a datetime, got {type(value).__name__}: {value!r}")
        return to_micros(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return from_micros(int(value))

    @property
    def python_type(self) -> type[datetime]:
        return datetime

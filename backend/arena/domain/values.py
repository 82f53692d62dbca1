"""Exact money and quantity values.

All money, prices and quantities are `Decimal` quantized to 1e-8 (the arena's
minor unit), so accounts and fills add up exactly; indicators may use floats.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation

MINOR_UNIT = Decimal("1e-8")
ZERO = Decimal(0)
ONE = Decimal(1)
BPS = Decimal(10_000)


class InvalidNumber(ValueError):
    """A value that cannot be an exact finite number."""


def to_decimal(value: object) -> Decimal:
    """Convert int/str/Decimal/float to a finite Decimal, refusing NaN and infinities."""
    if isinstance(value, bool):
        raise InvalidNumber(f"not a number: {value!r}")
    try:
        if isinstance(value, float):
            result = Decimal(repr(value))
        elif isinstance(value, (int, str, Decimal)):
            result = Decimal(value.strip() if isinstance(value, str) else value)
        else:
            raise InvalidNumber(f"not a number: {value!r}")
    except InvalidOperation as exc:
        raise InvalidNumber(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise InvalidNumber(f"not a finite number: {value!r}")
    return result


def quantize(value: Decimal) -> Decimal:
    """Round half-even to the minor unit."""
    return value.quantize(MINOR_UNIT, rounding=ROUND_HALF_EVEN)


def quantize_down(value: Decimal) -> Decimal:
    return value.quantize(MINOR_UNIT, rounding=ROUND_FLOOR)


def quantize_up(value: Decimal) -> Decimal:
    return value.quantize(MINOR_UNIT, rounding=ROUND_CEILING)


def bps(value: Decimal | int | str) -> Decimal:
    """Basis points as a fraction: 10 bps -> 0.001."""
    return to_decimal(value) / BPS

"""Exact money and quantity values.

All money, prices and quantities are `Decimal` quantized to 1e-8 (the arena's
minor unit), so accounts and fills add up exactly; indicators may use floats.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Final

# Final: compiled (arena.native), a module constant is then a C static, not a lookup by name per use
MINOR_UNIT: Final = Decimal("1e-8")
ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
BPS: Final = Decimal(10_000)


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
    return value.quantize(MINOR_UNIT, ROUND_HALF_EVEN)  # positional: no keyword dict per call


def quantize_down(value: Decimal) -> Decimal:
    return value.quantize(MINOR_UNIT, ROUND_FLOOR)


def quantize_up(value: Decimal) -> Decimal:
    return value.quantize(MINOR_UNIT, ROUND_CEILING)


def bps(value: Decimal | int | str) -> Decimal:
    """Basis points as a fraction: 10 bps -> 0.001."""
    return to_decimal(value) / BPS

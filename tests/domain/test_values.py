from decimal import Decimal

import pytest

from arena.domain.values import InvalidNumber, bps, quantize, quantize_down, quantize_up, to_decimal


@pytest.mark.parametrize(
    "raw", ["NaN", "nan", "Infinity", "-inf", "abc", "", float("nan"), float("inf"), True, None, [1]]
)
def test_to_decimal_refuses_non_finite_and_non_numbers(raw):
    with pytest.raises(InvalidNumber):
        to_decimal(raw)


@pytest.mark.parametrize(
    ("raw", "expected"), [("1.5", Decimal("1.5")), (2, Decimal(2)), (0.1, Decimal("0.1")), (" 3 ", Decimal(3))]
)
def test_to_decimal_is_exact(raw, expected):
    assert to_decimal(raw) == expected


def test_rounding_directions():
    x = Decimal("1.000000005")
    assert quantize(x) == Decimal("1.00000000")  # half-even
    assert quantize_down(Decimal("1.000000019")) == Decimal("1.00000001")
    assert quantize_up(Decimal("1.000000011")) == Decimal("1.00000002")
    assert bps(10) == Decimal("0.001")

"""Strategy parameters: declared with type, range and default; resolved strictly.

A strategy declares its parameters as `Param`s. `resolve` merges what an
operator gave over the defaults and refuses, with `ArenaError(INVALID_CONFIG,
field="params")`, unknown names, wrong types (bools, strings, NaN/inf) and
out-of-range values. Ints accept integral floats (`10.0`); floats accept ints. Text parameters
(a model's name, an endpoint) are strings of 1-500 characters matching their pattern, if any.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from arena.errors import ArenaError, ErrorCode

PARAMS_FIELD = "params"
Number = int | float
Value = int | float | str | None
MAX_TEXT = 500


@dataclass(frozen=True, slots=True)
class Param:
    """One parameter: its type (int, float or str), default and allowed range (or pattern, for text)."""

    kind: type[int] | type[float] | type[str]
    default: Value
    low: Number | None = None
    high: Number | None = None
    low_exclusive: bool = False
    high_exclusive: bool = False
    pattern: str | None = None  # text: what the whole value must match
    hint: str = ""  # text: what the pattern means, for the error message
    echo: bool = True  # text: repeat a refused value in the error (not where it may be a secret)

    def range_text(self) -> str:
        low = "" if self.low is None else f"{self.low} {'<' if self.low_exclusive else '<='} "
        high = "" if self.high is None else f" {'<' if self.high_exclusive else '<='} {self.high}"
        return f"{low}value{high}"

    def in_range(self, value: Number) -> bool:
        if self.low is not None and (value <= self.low if self.low_exclusive else value < self.low):
            return False
        return not (self.high is not None and (value >= self.high if self.high_exclusive else value > self.high))


def text(default: str | None, pattern: str | None = None, hint: str = "", *, echo: bool = True) -> Param:
    """A string parameter; None as default means the operator must give it (see `require`)."""
    return Param(str, default, pattern=pattern, hint=hint, echo=echo)


def window(default: int) -> Param:
    """A look-back length in rounds: 2..10,000."""
    return Param(int, default, 2, 10_000)


def fraction(default: float) -> Param:
    """A share of cash or equity: 0 < f <= 1."""
    return Param(float, default, 0.0, 1.0, low_exclusive=True)


def zscore(default: float) -> Param:
    """A z-score threshold: -10..10 standard deviations."""
    return Param(float, default, -10.0, 10.0)


def invalid(message: str) -> ArenaError:
    return ArenaError(ErrorCode.INVALID_CONFIG, message, PARAMS_FIELD)


def require(condition: bool, strategy: str, message: str) -> None:
    """Raise INVALID_CONFIG for a rule spanning several parameters (e.g. fast < slow)."""
    if not condition:
        raise invalid(f"invalid parameters for strategy '{strategy}': {message}")


def resolve(
    strategy: str,
    defaults: Mapping[str, Any],
    given: Mapping[str, Any] | None,
    specs: Mapping[str, Param] | None = None,
) -> dict[str, Any]:
    """Merge `given` over `defaults`, checking every given value.

    `specs` gives each name's type and range; a name without a spec is typed
    after its default (int or float) with no range.
    """
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise invalid(f"parameters for strategy '{strategy}' must be an object of name: value")
    resolved = dict(defaults)
    for name, raw in given.items():
        if name not in defaults:
            known = ", ".join(sorted(defaults)) or "(none)"
            raise invalid(f"unknown parameter {name!r} for strategy '{strategy}'; known: {known}")
        spec = (specs or {}).get(name) or _spec_from_default(defaults[name])
        resolved[name] = _check(strategy, name, raw, spec)
    return resolved


def _spec_from_default(default: Any) -> Param:
    if isinstance(default, str):
        return Param(str, default)
    kind: type[int] | type[float] = int if isinstance(default, int) and not isinstance(default, bool) else float
    return Param(kind, default)


def _check_text(where: str, raw: Any, spec: Param) -> str:
    got = f", got {raw!r}" if spec.echo else ""
    if not isinstance(raw, str):
        raise invalid(f"{where} must be a string{got}")
    value = raw.strip()
    if not value or len(value) > MAX_TEXT:
        raise invalid(f"{where} must be 1-{MAX_TEXT} characters")
    if spec.pattern is not None and not re.fullmatch(spec.pattern, value):
        raise invalid(f"{where} must be {spec.hint or 'of the form ' + spec.pattern}{got}")
    return value


def _check(strategy: str, name: str, raw: Any, spec: Param) -> Value:
    where = f"parameter {name!r} for strategy '{strategy}'"
    if spec.kind is str:
        return _check_text(where, raw, spec)
    expected = "an integer" if spec.kind is int else "a number"
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal)):
        raise invalid(f"{where} must be {expected}, got {raw!r}")
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise invalid(f"{where} must be finite, got {raw!r}")
    elif isinstance(raw, float) and not math.isfinite(raw):
        raise invalid(f"{where} must be finite, got {raw!r}")
    value: Number
    if spec.kind is int:
        if raw != int(raw):
            raise invalid(f"{where} must be a whole number, got {raw!r}")
        value = int(raw)
    else:
        value = float(raw)
        if not math.isfinite(value):  # a huge Decimal overflows float
            raise invalid(f"{where} must be finite, got {raw!r}")
    if not spec.in_range(value):
        raise invalid(f"{where} must satisfy {spec.range_text()}, got {raw!r}")
    return value

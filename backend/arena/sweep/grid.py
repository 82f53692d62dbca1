"""The grid of a sweep: `--grid KEY=V1,V2,...` (an item may be a range `START:STOP:STEP`, STOP
included when the steps land on it) and fixed `--param KEY=VALUE`, typed by the strategy's declared
`Param`s and validated, every combination through the strategy's own rules, before anything runs.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from arena.agents.params import Param, resolve
from arena.agents.registry import PRICE_STRATEGIES, strategy_class
from arena.errors import ArenaError, ErrorCode

MAX_COMBINATIONS = 64  # more only with --yes
HARD_LIMIT = 10_000  # never, not even with --yes

GridValue = int | float | str
Combination = dict[str, GridValue]

_INT = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def refused(message: str) -> ArenaError:
    return ArenaError(ErrorCode.INVALID_CONFIG, message, "grid")


@dataclass(frozen=True, slots=True)
class Grid:
    """A strategy, its fixed parameters and the values of each swept one, in the order given."""

    strategy: str
    axes: tuple[tuple[str, tuple[GridValue, ...]], ...]
    fixed: tuple[tuple[str, GridValue], ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.axes)

    @property
    def size(self) -> int:
        return math.prod(len(values) for _, values in self.axes)

    def combinations(self) -> list[Combination]:
        """Every point of the grid; the first key varies slowest. This order breaks ties in the ranking."""
        keys = self.keys
        return [dict(zip(keys, point, strict=True)) for point in itertools.product(*(v for _, v in self.axes))]

    def params(self, combination: Mapping[str, GridValue]) -> dict[str, GridValue]:
        """What the agent of one run is given: the fixed parameters and the combination."""
        return {**dict(self.fixed), **combination}


def label(combination: Mapping[str, GridValue]) -> str:
    """`fast_window=5 slow_window=30`."""
    return " ".join(f"{key}={value}" for key, value in combination.items())


def parse_grid(
    strategy: str,
    entries: Sequence[str],
    fixed: Sequence[str] = (),
    *,
    allow_many: bool = False,
    limit: int = MAX_COMBINATIONS,
) -> Grid:
    """The grid `entries` (`KEY=V1,V2,...`) and `fixed` (`KEY=VALUE`) ask for, for `strategy`.

    Raises ArenaError(INVALID_CONFIG) for an unknown or model strategy, a malformed entry, an
    unknown, duplicate or both swept and fixed key, a wrong type, an empty list or range, a
    repeated value, a value out of its range, a combination the strategy refuses, or more than
    `limit` combinations unless `allow_many` (never more than HARD_LIMIT).
    """
    cls = strategy_class(strategy)
    if strategy not in PRICE_STRATEGIES:
        raise refused(f"a sweep runs strategies that decide from prices; choose one of: {', '.join(PRICE_STRATEGIES)}")
    specs = cls.parameters
    if not entries:
        raise refused("a sweep needs at least one --grid KEY=V1,V2,...")
    given_fixed: dict[str, GridValue] = {}
    for entry in fixed:
        key, text = _split(entry, "--param", "KEY=VALUE", strategy, specs)
        if key in given_fixed:
            raise refused(f"--param {entry!r}: {key} is given twice")
        where = f"--param {entry!r}"
        given_fixed[key] = _checked(strategy, key, _typed(text.strip(), key, specs[key], where), where)
    axes: list[tuple[str, tuple[GridValue, ...]]] = []
    for entry in entries:
        key, text = _split(entry, "--grid", "KEY=V1,V2,... or KEY=START:STOP:STEP", strategy, specs)
        if key in dict(axes):
            raise refused(f"--grid {entry!r}: {key} is swept twice; give all its values in one --grid")
        if key in given_fixed:
            raise refused(f"--grid {entry!r}: {key} is also fixed by --param; sweep it or fix it")
        axes.append((key, _values(strategy, key, text, specs[key], f"--grid {entry!r}")))
    grid = Grid(strategy, tuple(axes), tuple(given_fixed.items()))
    _check_size(grid, allow_many, limit)
    for combination in grid.combinations():
        try:
            cls.resolve_params(grid.params(combination))
        except ArenaError as exc:
            raise refused(f"the combination {label(combination)} is refused: {exc.message}") from None
    return grid


def _check_size(grid: Grid, allow_many: bool, limit: int) -> None:
    size = grid.size
    shape = " x ".join(f"{len(values)} {key}" for key, values in grid.axes)
    if size > HARD_LIMIT:
        raise refused(f"the grid has {size:,} combinations ({shape}); a sweep runs at most {HARD_LIMIT:,}")
    if size > limit and not allow_many:
        raise refused(f"the grid has {size:,} combinations ({shape}), more than {limit}: pass --yes to run them all")


def _split(entry: str, option: str, form: str, strategy: str, specs: Mapping[str, Param]) -> tuple[str, str]:
    key, equals, text = entry.partition("=")
    key = key.strip()
    if not equals or not key:
        raise refused(f"{option} {entry!r}: expected {form}")
    if key not in specs:
        known = ", ".join(specs) or "(none)"
        raise refused(f"{option} {entry!r}: {strategy} has no parameter {key!r}; its parameters: {known}")
    return key, text


def _values(strategy: str, key: str, text: str, spec: Param, where: str) -> tuple[GridValue, ...]:
    items = [item.strip() for item in text.split(",")]
    if items == [""]:
        raise refused(f"{where}: no values for {key}")
    values: list[GridValue] = []
    for item in items:
        if not item:
            raise refused(f"{where}: an empty value in the list")
        parsed = _range(item, key, spec, where) if ":" in item else [_typed(item, key, spec, where)]
        for value in parsed:
            if value in values:
                raise refused(f"{where}: {key}={value} is given twice")
            values.append(_checked(strategy, key, value, where))
        if len(values) > HARD_LIMIT:
            raise refused(f"{where}: more than {HARD_LIMIT:,} values for {key}")
    return tuple(values)


def _typed(text: str, key: str, spec: Param, where: str) -> GridValue:
    if spec.kind is int:
        if not _INT.fullmatch(text):
            raise refused(f"{where}: {key} takes whole numbers, got {text!r}")
        return int(text)
    if spec.kind is float:
        if not _NUMBER.fullmatch(text):
            raise refused(f"{where}: {key} takes numbers, got {text!r}")
        return float(text)
    return text


def _range(item: str, key: str, spec: Param, where: str) -> list[GridValue]:
    parts = item.split(":")
    if spec.kind is str or len(parts) != 3:
        what = "is text: list its values" if spec.kind is str else "a range is START:STOP:STEP"
        raise refused(f"{where}: {key} {what}, got {item!r}")
    pattern, noun = (_INT, "whole numbers") if spec.kind is int else (_NUMBER, "numbers")
    if not all(pattern.fullmatch(part.strip()) for part in parts):
        raise refused(f"{where}: the range {item!r} of {key} needs {noun} as START:STOP:STEP")
    start, stop, step = (Decimal(part.strip()) for part in parts)
    if step <= 0:
        raise refused(f"{where}: the range {item!r} needs a positive STEP")
    if start > stop:
        raise refused(f"{where}: the range {item!r} is empty (START is past STOP)")
    count = int((stop - start) / step) + 1
    if count > HARD_LIMIT:
        raise refused(f"{where}: the range {item!r} has more than {HARD_LIMIT:,} values")
    # exact decimal steps: 0.1:0.3:0.1 is 0.1, 0.2, 0.3 (float steps would drift past 0.3)
    points = (start + i * step for i in range(count))
    return [int(p) if spec.kind is int else float(p) for p in points]


def _checked(strategy: str, key: str, value: GridValue, where: str) -> GridValue:
    """The value as the strategy takes it, refused with the strategy's own message when out of range."""
    try:
        checked = resolve(strategy, {key: value}, {key: value}, {key: strategy_class(strategy).parameters[key]})[key]
    except ArenaError as exc:
        raise refused(f"{where}: {exc.message}") from None
    assert isinstance(checked, (int, float, str))
    return checked

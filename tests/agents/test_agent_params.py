"""Parameter resolution: defaults, coercion, and clear INVALID_CONFIG refusals."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest

from arena.agents.momentum import MomentumAgent
from arena.agents.params import Param, fraction, resolve, window
from arena.agents.registry import PRICE_STRATEGIES, STRATEGIES
from arena.errors import ArenaError, ErrorCode

SPECS = {"slow_window": window(30), "position_fraction": fraction(0.3)}
DEFAULTS = {name: spec.default for name, spec in SPECS.items()}


def refusal(given: Any, specs: dict[str, Param] | None = SPECS) -> ArenaError:
    with pytest.raises(ArenaError) as info:
        resolve("momentum", DEFAULTS, given, specs)
    assert info.value.code is ErrorCode.INVALID_CONFIG
    assert info.value.field == "params"
    return info.value


def test_given_values_override_defaults() -> None:
    assert resolve("momentum", DEFAULTS, {"slow_window": 50}, SPECS) == {"slow_window": 50, "position_fraction": 0.3}
    assert resolve("momentum", DEFAULTS, None, SPECS) == DEFAULTS
    assert resolve("momentum", DEFAULTS, {}, SPECS) is not DEFAULTS


def test_unknown_parameter_names_the_known_ones() -> None:
    error = refusal({"fast": 3})
    assert error.message == ("unknown parameter 'fast' for strategy 'momentum'; known: position_fraction, slow_window")


def test_ints_accept_integral_floats_and_decimals() -> None:
    for raw in (40.0, Decimal("40"), Decimal("40.000")):
        value = resolve("momentum", DEFAULTS, {"slow_window": raw}, SPECS)["slow_window"]
        assert value == 40 and type(value) is int


def test_floats_accept_ints_and_decimals() -> None:
    for raw, expected in ((1, 1.0), (Decimal("0.5"), 0.5)):
        value = resolve("momentum", DEFAULTS, {"position_fraction": raw}, SPECS)["position_fraction"]
        assert value == expected and type(value) is float


@pytest.mark.parametrize(
    ("name", "raw", "fragment"),
    [
        ("slow_window", True, "must be an integer, got True"),
        ("position_fraction", False, "must be a number, got False"),
        ("slow_window", "30", "must be an integer, got '30'"),
        ("position_fraction", "0.3", "must be a number"),
        ("slow_window", None, "must be an integer, got None"),
        ("slow_window", [30], "must be an integer"),
        ("slow_window", 30.5, "must be a whole number, got 30.5"),
        ("position_fraction", math.nan, "must be finite, got nan"),
        ("position_fraction", math.inf, "must be finite, got inf"),
        ("slow_window", Decimal("NaN"), "must be finite"),
        ("position_fraction", Decimal("1e400"), "must be finite"),
        ("slow_window", 1, "must satisfy 2 <= value <= 10000, got 1"),
        ("slow_window", 10_001, "must satisfy 2 <= value <= 10000"),
        ("position_fraction", 0, "must satisfy 0.0 < value <= 1.0, got 0"),
        ("position_fraction", 1.5, "must satisfy 0.0 < value <= 1.0, got 1.5"),
        ("position_fraction", -0.1, "must satisfy 0.0 < value <= 1.0"),
    ],
)
def test_wrong_types_and_ranges_are_refused(name: str, raw: Any, fragment: str) -> None:
    error = refusal({name: raw})
    assert f"parameter '{name}' for strategy 'momentum'" in error.message
    assert fragment in error.message


def test_params_must_be_a_mapping() -> None:
    assert "must be an object" in refusal([("slow_window", 3)]).message


def test_without_specs_types_follow_the_defaults() -> None:
    assert resolve("s", {"n": 3, "f": 0.5}, {"n": 4.0, "f": 2}) == {"n": 4, "f": 2.0}
    with pytest.raises(ArenaError):
        resolve("s", {"n": 3}, {"n": True})


def test_range_edges_are_inclusive_or_exclusive_as_declared() -> None:
    assert resolve("m", DEFAULTS, {"slow_window": 2, "position_fraction": 1}, SPECS)["slow_window"] == 2
    assert resolve("m", DEFAULTS, {"slow_window": 10_000}, SPECS)["slow_window"] == 10_000


@pytest.mark.parametrize(
    ("strategy", "given", "fragment"),
    [
        ("momentum", {"fast_window": 30, "slow_window": 30}, "fast_window must be < slow_window"),
        ("mean_reversion", {"entry_z": 0.5, "exit_z": 0.0}, "entry_z must be < exit_z"),
        ("balanced", {"fast_span": 60}, "fast_span must be < slow_span"),
        ("balanced", {"entry_z": 1.0}, "entry_z must be < exit_z"),
        ("balanced", {"max_steps": 0}, "must satisfy 1 <= value <= 20"),
        ("random", {"trade_probability": 0}, "must satisfy 0.0 < value <= 1.0"),
        ("buy_and_hold", {"invest_fraction": 1.01}, "must satisfy 0.0 < value <= 1.0"),
    ],
)
def test_each_strategy_checks_its_own_rules(strategy: str, given: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ArenaError) as info:
        STRATEGIES[strategy](given, seed=1)
    assert info.value.code is ErrorCode.INVALID_CONFIG and info.value.field == "params"
    assert fragment in info.value.message


@pytest.mark.parametrize("strategy", sorted(PRICE_STRATEGIES))
def test_defaults_are_valid_and_typed_as_declared(strategy: str) -> None:
    cls = STRATEGIES[strategy]
    agent = cls(None, seed=0)
    assert agent.params == cls.default_params()
    for name, spec in cls.parameters.items():
        assert type(agent.params[name]) is spec.kind


def test_agent_params_are_resolved_on_construction() -> None:
    agent = MomentumAgent({"fast_window": 5.0}, seed=3)
    assert agent.params == {"fast_window": 5, "slow_window": 30, "position_fraction": 0.3}
    assert agent.seed == 3

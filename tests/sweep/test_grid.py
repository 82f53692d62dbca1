"""`--grid` and `--param` of `arena sweep`: typed by the strategy's declared parameters, refused before anything runs."""

import pytest

from arena.errors import ArenaError, ErrorCode
from arena.sweep.grid import HARD_LIMIT, MAX_COMBINATIONS, label, parse_grid


def refusal(*entries: str, strategy: str = "momentum", fixed: tuple[str, ...] = (), allow_many: bool = False) -> str:
    with pytest.raises(ArenaError) as caught:
        parse_grid(strategy, list(entries), list(fixed), allow_many=allow_many)
    assert caught.value.code is ErrorCode.INVALID_CONFIG
    return caught.value.message


def test_lists_are_typed_by_the_declared_params_and_combined_first_key_slowest():
    grid = parse_grid("momentum", ["fast_window=5,10,20", "slow_window=30,60"], ["position_fraction=0.5"])
    assert grid.axes == (("fast_window", (5, 10, 20)), ("slow_window", (30, 60)))
    assert grid.size == 6
    combinations = grid.combinations()
    assert [label(c) for c in combinations[:3]] == [
        "fast_window=5 slow_window=30",
        "fast_window=5 slow_window=60",
        "fast_window=10 slow_window=30",
    ]
    assert all(type(c["fast_window"]) is int for c in combinations)
    assert grid.params(combinations[0]) == {"position_fraction": 0.5, "fast_window": 5, "slow_window": 30}


def test_ranges_include_their_stop_and_step_exactly():
    grid = parse_grid("momentum", ["fast_window=5:20:5", "position_fraction=0.1:0.3:0.1"])
    assert dict(grid.axes) == {"fast_window": (5, 10, 15, 20), "position_fraction": (0.1, 0.2, 0.3)}
    assert dict(parse_grid("momentum", ["fast_window=2,4:8:3"]).axes) == {"fast_window": (2, 4, 7)}
    assert dict(parse_grid("mean_reversion", ["entry_z=-3:-2:0.5"]).axes) == {"entry_z": (-3.0, -2.5, -2.0)}


def test_an_int_param_refuses_text_and_fractions():
    assert "fast_window takes whole numbers, got 'a'" in refusal("fast_window=a")
    assert "fast_window takes whole numbers, got '2.5'" in refusal("fast_window=5,2.5")
    assert "whole numbers" in refusal("fast_window=5:20:2.5")
    assert "position_fraction takes numbers, got 'half'" in refusal("position_fraction=half")
    assert "numbers" in refusal("position_fraction=nan")


def test_unknown_params_are_refused_with_the_known_ones():
    message = refusal("fast_windw=5,10")
    assert "momentum has no parameter 'fast_windw'" in message
    assert "fast_window, slow_window, position_fraction" in message
    assert "no parameter 'window'" in refusal("fast_window=5", fixed=("window=3",))


def test_empty_lists_and_ranges_are_refused():
    assert "no values for fast_window" in refusal("fast_window=")
    assert "an empty value" in refusal("fast_window=5,,10")
    assert "empty (START is past STOP)" in refusal("fast_window=20:5:5")
    assert "positive STEP" in refusal("fast_window=5:20:0")
    assert "START:STOP:STEP" in refusal("fast_window=5:20")
    assert "expected KEY=V1,V2" in refusal("fast_window")
    assert "at least one --grid" in refusal()


def test_values_out_of_the_declared_range_are_refused():
    assert "must satisfy 2 <= value <= 10000, got 1" in refusal("fast_window=1,5")
    assert "got 1.5" in refusal("fast_window=5", fixed=("position_fraction=1.5",))
    assert "more than 10,000 values" in refusal("slow_window=3:100000:1")


def test_duplicates_are_refused():
    assert "swept twice" in refusal("fast_window=5", "fast_window=10")
    assert "fast_window=5 is given twice" in refusal("fast_window=5,10,5")
    assert "fast_window=10 is given twice" in refusal("fast_window=5:15:5,10")
    assert "also fixed by --param" in refusal("fast_window=5", fixed=("fast_window=10",))


def test_every_combination_goes_through_the_strategy_s_own_rules():
    message = refusal("fast_window=10,30", "slow_window=30")
    assert "fast_window=30 slow_window=30" in message
    assert "fast_window must be < slow_window" in message
    assert "entry_z must be < exit_z" in refusal("entry_z=-1,1", strategy="mean_reversion", fixed=("exit_z=0",))


def test_model_and_unknown_strategies_are_refused():
    assert "decide from prices" in refusal("decide_every=1,2", strategy="llm")
    assert "unknown strategy 'momentun'" in refusal("fast_window=5", strategy="momentun")


def test_more_combinations_than_the_limit_need_yes():
    entries = ("fast_window=2:14:1", "slow_window=20:24:1")  # 13 x 5 = 65
    message = refusal(*entries)
    assert f"65 combinations (13 fast_window x 5 slow_window), more than {MAX_COMBINATIONS}" in message
    assert "--yes" in message
    assert parse_grid("momentum", list(entries), allow_many=True).size == 65
    assert parse_grid("momentum", ["fast_window=2:9:1", "slow_window=20:27:1"]).size == MAX_COMBINATIONS


def test_not_even_yes_runs_more_than_the_hard_limit():
    message = refusal("fast_window=2:200:1", "slow_window=300:400:1", "position_fraction=0.5,1", allow_many=True)
    assert f"a sweep runs at most {HARD_LIMIT:,}" in message

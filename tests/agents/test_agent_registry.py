"""The strategy registry: lookup, creation, spec validation and descriptions."""

from __future__ import annotations

import pytest

from arena.agents.base import Agent
from arena.agents.registry import STRATEGIES, create_agent, describe_strategies, validate_agent_spec
from arena.agents.spec import AgentSpec
from arena.domain.events import AgentKind
from arena.errors import ArenaError, ErrorCode

NAMES = ["balanced", "buy_and_hold", "llm", "mean_reversion", "momentum", "random"]


def test_all_strategies_are_registered_under_their_own_name() -> None:
    assert sorted(STRATEGIES) == NAMES
    for name, cls in STRATEGIES.items():
        assert issubclass(cls, Agent) and cls.strategy == name


def test_create_agent_builds_the_strategy_with_params_and_seed() -> None:
    agent = create_agent("mean_reversion", {"window": 30}, seed=9)
    assert agent.strategy == "mean_reversion"
    assert agent.params["window"] == 30 and agent.seed == 9
    assert create_agent("momentum", None, seed=0).params == STRATEGIES["momentum"].default_params()


@pytest.mark.parametrize("bad", ["coin_flip", "", "Momentum", None])
def test_unknown_strategy_lists_the_known_ones(bad: object) -> None:
    with pytest.raises(ArenaError) as info:
        create_agent(bad, None, seed=0)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.INVALID_CONFIG
    assert info.value.field == "strategy"
    assert info.value.message == f"unknown strategy {bad!r}; known: {', '.join(NAMES)}"


def test_validate_agent_spec() -> None:
    validate_agent_spec(AgentSpec("a", "momentum", {"fast_window": 5}))
    with pytest.raises(ArenaError) as info:
        validate_agent_spec(AgentSpec("a", "momentum", {"fast_window": 50}))
    assert info.value.field == "params"
    with pytest.raises(ArenaError) as info:
        validate_agent_spec(AgentSpec("a", "nope"))
    assert info.value.field == "strategy"


def test_bot_specs_are_not_checked_here() -> None:
    validate_agent_spec(AgentSpec("bot", "anything at all", {"whatever": object()}, kind=AgentKind.BOT))


def test_describe_strategies() -> None:
    described = describe_strategies()
    assert sorted(d["name"] for d in described) == NAMES
    for entry in described:
        cls = STRATEGIES[entry["name"]]
        assert entry == {
            "name": cls.strategy,
            "description": cls.description,
            "default_params": cls.default_params(),
        }
        assert entry["description"].endswith(".") and "\n" not in entry["description"]
    random_entry = next(d for d in described if d["name"] == "random")
    assert "control group" in random_entry["description"].lower()
    assert "not a strategy" in random_entry["description"].lower()

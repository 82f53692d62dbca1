"""The built-in strategies by name, and validating agent specs against them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from arena.agents.balanced import BalancedAgent
from arena.agents.base import Agent
from arena.agents.buy_and_hold import BuyAndHoldAgent
from arena.agents.llm import LlmAgent
from arena.agents.mean_reversion import MeanReversionAgent
from arena.agents.momentum import MomentumAgent
from arena.agents.random_control import RandomControlAgent
from arena.agents.spec import AgentSpec
from arena.domain.events import AgentKind
from arena.errors import ArenaError, ErrorCode

STRATEGIES: dict[str, type[Agent]] = {
    cls.strategy: cls
    for cls in (MomentumAgent, MeanReversionAgent, BalancedAgent, BuyAndHoldAgent, RandomControlAgent, LlmAgent)
}
# strategies that decide in the engine from prices alone (a model one needs a model named to run)
PRICE_STRATEGIES: tuple[str, ...] = tuple(name for name, cls in STRATEGIES.items() if cls is not LlmAgent)


def strategy_class(strategy: str) -> type[Agent]:
    """The Agent class for a strategy name; unknown names raise ArenaError(INVALID_CONFIG, field 'strategy')."""
    cls = STRATEGIES.get(strategy) if isinstance(strategy, str) else None
    if cls is None:
        known = ", ".join(sorted(STRATEGIES))
        raise ArenaError(ErrorCode.INVALID_CONFIG, f"unknown strategy {strategy!r}; known: {known}", "strategy")
    return cls


def create_agent(strategy: str, params: Mapping[str, Any] | None, seed: int) -> Agent:
    return strategy_class(strategy)(params, seed)


def validate_agent_spec(spec: AgentSpec) -> None:
    """Check a built-in agent's strategy and parameters; bot specs are not checked here."""
    if spec.kind is AgentKind.BOT:
        return
    strategy_class(spec.strategy).resolve_params(spec.params)


def describe_strategies() -> list[dict[str, Any]]:
    """Name, one-sentence description and default parameters of each strategy, for the API."""
    return [
        {"name": name, "description": cls.description, "default_params": cls.default_params()}
        for name, cls in STRATEGIES.items()
    ]

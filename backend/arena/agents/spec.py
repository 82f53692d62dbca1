"""What an operator asks for when entering an agent: a named strategy with parameters, or a bot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from arena.domain.events import AgentKind

MAIN_STRATEGIES = ("momentum", "mean_reversion", "balanced", "buy_and_hold")
BOT_STRATEGY = "external"  # the strategy name a bot's entrant carries: it decides outside the arena
BOT_ID_PARAM = "bot_id"  # where a bot entrant keeps its registered bot id


@dataclass(frozen=True, slots=True)
class AgentSpec:
    name: str
    strategy: str
    params: dict[str, Any] = field(default_factory=dict)
    kind: AgentKind = AgentKind.BUILTIN

    @classmethod
    def bot(cls, name: str, bot_id: str) -> AgentSpec:
        return cls(name, BOT_STRATEGY, {BOT_ID_PARAM: bot_id}, kind=AgentKind.BOT)


def default_agents(strategies: tuple[str, ...] = (*MAIN_STRATEGIES, "random")) -> tuple[AgentSpec, ...]:
    return tuple(AgentSpec(name=s, strategy=s) for s in strategies)

"""The contract between the engine and a strategy."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from arena.agents.params import Param, resolve
from arena.domain.market import Quote
from arena.domain.orders import Fill, OrderIntent


@dataclass(slots=True)
class AccountView:
    """A read-only look at the agent's own account, marked to the latest prices: a fresh one
    each round, so a strategy that wrote to it would change nothing but its own copy (it is not
    `frozen`: one is built per agent per round, and a frozen dataclass's fields cost a call each)."""

    cash: Decimal
    equity: Decimal
    starting_cash: Decimal
    positions: Mapping[str, Decimal]  # symbol -> quantity held
    prices: Mapping[str, Decimal]  # symbol -> latest price

    def quantity(self, symbol: str) -> Decimal:
        return self.positions.get(symbol, Decimal(0))


class Agent(ABC):
    """A strategy that decides from prices only.

    `on_round` is called once per round with the quotes that arrived in that
    round (one per symbol that ticked) and returns the orders it wants.

    A subclass declares `strategy`, `description` (one sentence for a
    dashboard) and `parameters` (name -> `Param` with type, range and default);
    it may override `check_params` for rules spanning several parameters.
    """

    strategy: ClassVar[str]
    description: ClassVar[str]
    parameters: ClassVar[Mapping[str, Param]] = {}

    def __init__(self, params: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        self.params: dict[str, Any] = self.resolve_params(params or {})
        self.seed = seed

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        return {name: spec.default for name, spec in cls.parameters.items()}

    @classmethod
    def resolve_params(cls, params: Mapping[str, Any]) -> dict[str, Any]:
        """Merge with defaults; unknown names, wrong types or bad ranges raise ArenaError(INVALID_CONFIG)."""
        resolved = resolve(cls.strategy, cls.default_params(), params, cls.parameters)
        cls.check_params(resolved)
        return resolved

    @classmethod  # noqa: B027 - an optional hook, empty on purpose
    def check_params(cls, params: Mapping[str, Any]) -> None:
        """Cross-parameter rules (e.g. fast window < slow window); raise via `params.require`."""

    @abstractmethod
    def on_round(self, quotes: Mapping[str, Quote], account: AccountView) -> list[OrderIntent]: ...

    def on_fill(self, fill: Fill) -> None:  # noqa: B027 - optional hook
        """Called after each of this agent's own fills."""

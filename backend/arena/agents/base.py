"""The contract between the engine and a strategy."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar

from mypy_extensions import mypyc_attr

from arena.agents.params import Param, resolve
from arena.domain.account import Account
from arena.domain.market import Quote
from arena.domain.orders import Fill, OrderIntent
from arena.domain.values import ZERO


class AccountView:
    """A read-only look at an agent's own account, marked to the latest prices.

    The engine keeps one per agent for the whole competition, over the live account and the
    competition's prices: what a strategy reads through it is current when read (within a round,
    nothing changes until the strategy's orders are executed, after `on_round` returns). Nothing
    is computed until asked: most rounds a strategy has no signal and reads at most a quantity,
    so a view costs nothing then (building a marked copy per agent per round cost ~0.6 µs each).
    """

    __slots__ = ("_account", "_prices")

    def __init__(self, account: Account, prices: Mapping[str, Decimal]) -> None:
        self._account = account
        self._prices = MappingProxyType(prices) if isinstance(prices, dict) else prices

    @property
    def cash(self) -> Decimal:
        return self._account.cash

    @property
    def equity(self) -> Decimal:
        return self._account.equity(self._prices)

    @property
    def starting_cash(self) -> Decimal:
        return self._account.starting_cash

    @property
    def positions(self) -> Mapping[str, Decimal]:
        """Symbol -> quantity held, for every open position."""
        return {symbol: p.quantity for symbol, p in self._account.positions.items()}

    @property
    def prices(self) -> Mapping[str, Decimal]:
        """Symbol -> latest price (read-only)."""
        return self._prices

    def quantity(self, symbol: str) -> Decimal:
        position = self._account.positions.get(symbol)
        return position.quantity if position is not None else ZERO


@mypyc_attr(allow_interpreted_subclasses=True)
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
    # its decisions are asked of a language model beside the rounds (the engine checks this every
    # round for every agent: a class attribute, not an isinstance through ABCMeta)
    asks_a_model: ClassVar[bool] = False

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

"""Competition configuration: what an operator asks for, validated and serializable."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from arena.agents.registry import validate_agent_spec
from arena.agents.spec import AgentSpec
from arena.domain.events import AgentKind
from arena.domain.values import InvalidNumber, to_decimal
from arena.errors import ArenaError, ErrorCode
from arena.feeds.spec import DEFAULT_SYMBOLS, FeedMode, FeedSpec, SpeedMode, SpeedSpec


@dataclass(frozen=True, slots=True)
class CompetitionConfig:
    name: str = "Arena"
    symbols: tuple[str, ...] = DEFAULT_SYMBOLS
    feed: FeedSpec | None = None  # None: trade the arena's shared market feed
    rounds: int | None = None
    duration_s: float | None = None
    speed: SpeedSpec = SpeedSpec()
    starting_cash: Decimal = Decimal(10_000)
    agents: tuple[AgentSpec, ...] = ()
    fee_bps: Decimal = Decimal(10)
    slippage_bps: Decimal = Decimal(5)
    seed: int = 42
    rest_after_losses: int = 3  # consecutive losing trades before an agent rests
    rest_rounds: int = 10  # how many rounds it rests

    def validated(self) -> CompetitionConfig:
        def bad(message: str, field_name: str) -> ArenaError:
            return ArenaError(ErrorCode.INVALID_CONFIG, message, field_name)

        if not self.name.strip() or len(self.name) > 200:
            raise bad("name must be 1-200 characters", "name")
        if not self.symbols:
            raise bad("at least one symbol is required", "symbols")
        if len(set(self.symbols)) != len(self.symbols):
            raise bad("symbols must be unique", "symbols")
        if self.rounds is not None and not (1 <= self.rounds <= 10_000_000):
            raise bad("rounds must be between 1 and 10,000,000", "rounds")
        if self.duration_s is not None and not (0 < self.duration_s <= 30 * 86400):
            raise bad("duration must be positive and at most 30 days", "durationSeconds")
        self.speed.validated()
        if self.feed is not None and self.feed.mode in (FeedMode.LIVE, FeedMode.AUTO):
            raise bad(
                "a competition trades a live feed on the shared market: start it without a feed of its own", "feed"
            )
        try:
            cash = to_decimal(self.starting_cash)
            fee = to_decimal(self.fee_bps)
            slip = to_decimal(self.slippage_bps)
        except InvalidNumber as exc:
            raise bad(str(exc), "startingCash") from None
        if not (0 < cash <= Decimal("1e12")):
            raise bad("starting cash must be positive and at most 1e12", "startingCash")
        if not (0 <= fee <= 1000):
            raise bad("fee must be between 0 and 1000 bps", "feeBps")
        if not (0 <= slip <= 1000):
            raise bad("slippage must be between 0 and 1000 bps", "slippageBps")
        if not self.agents:
            raise bad("at least one agent is required", "agents")
        names = [a.name for a in self.agents]
        if len(set(names)) != len(names):
            raise bad("agent names must be unique", "agents")
        for spec in self.agents:
            validate_agent_spec(spec)
        if self.rest_after_losses < 1 or self.rest_rounds < 0:
            raise bad("rest_after_losses must be >= 1 and rest_rounds >= 0", "restAfterLosses")
        return self

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict (Decimals as strings, enums as values)."""
        data: dict[str, Any] = _jsonable(asdict(self))
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CompetitionConfig:
        feed = data.get("feed")
        return cls(
            name=data["name"],
            symbols=tuple(data["symbols"]),
            feed=None
            if feed is None
            else FeedSpec(
                mode=FeedMode(feed["mode"]),
                seed=int(feed["seed"]),
                paths=tuple(feed["paths"]),
                symbols=tuple(feed["symbols"]),
                step_seconds=float(feed["step_seconds"]),
                start=feed.get("start"),
                exchange=feed.get("exchange"),
            ),
            rounds=data.get("rounds"),
            duration_s=data.get("duration_s"),
            speed=SpeedSpec(
                mode=SpeedMode(data["speed"]["mode"]),
                interval_s=float(data["speed"]["interval_s"]),
                factor=float(data["speed"]["factor"]),
            ),
            starting_cash=Decimal(data["starting_cash"]),
            agents=tuple(
                AgentSpec(a["name"], a["strategy"], dict(a["params"]), AgentKind(a.get("kind", AgentKind.BUILTIN)))
                for a in data["agents"]
            ),
            fee_bps=Decimal(data["fee_bps"]),
            slippage_bps=Decimal(data["slippage_bps"]),
            seed=int(data["seed"]),
            rest_after_losses=int(data["rest_after_losses"]),
            rest_rounds=int(data["rest_rounds"]),
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value

"""Competition configuration: what an operator asks for, validated and serializable."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import Enum
from typing import Any

from arena.domain.values import InvalidNumber, to_decimal
from arena.errors import ArenaError, ErrorCode

DEFAULT_SYMBOLS = ("BTC-USD", "ETH-USD", "SOL-USD")
MAIN_STRATEGIES = ("momentum", "mean_reversion", "balanced", "buy_and_hold")


class FeedMode(str, Enum):
    SIM = "sim"
    REPLAY = "replay"


class SpeedMode(str, Enum):
    REALTIME = "realtime"  # one round every `interval_s` wall seconds
    FACTOR = "factor"  # replay: feed time / factor
    MAX = "max"  # as fast as possible


@dataclass(frozen=True, slots=True)
class FeedSpec:
    mode: FeedMode = FeedMode.SIM
    seed: int = 42
    paths: tuple[str, ...] = ()
    symbols: tuple[str, ...] = ()  # replay: one per path; sim: defaults to DEFAULT_SYMBOLS
    step_seconds: float = 60.0  # sim: feed time between ticks
    start: str | None = None  # sim: ISO time of the first tick; fixed at start so a resume replays it exactly

    @classmethod
    def parse(cls, text: str, seed: int = 42, symbols: tuple[str, ...] = ()) -> FeedSpec:
        """`sim`, `sim:SEED`, or `replay:PATH[,PATH...]`."""
        kind, _, rest = text.partition(":")
        if kind == "sim":
            return cls(FeedMode.SIM, seed=int(rest) if rest else seed, symbols=symbols)
        if kind == "replay" and rest:
            paths = tuple(p for p in rest.split(",") if p)
            return cls(FeedMode.REPLAY, seed=seed, paths=paths, symbols=symbols)
        raise ArenaError(
            ErrorCode.INVALID_CONFIG,
            f"feed must be 'sim', 'sim:SEED' or 'replay:PATH[,PATH...]', got {text!r}",
            "feed",
        )


@dataclass(frozen=True, slots=True)
class SpeedSpec:
    mode: SpeedMode = SpeedMode.REALTIME
    interval_s: float = 1.0
    factor: float = 1.0

    @classmethod
    def parse(cls, text: str) -> SpeedSpec:
        """`max`, `10x` (replay factor) or `0.5s` / `0.5` (seconds per round)."""
        text = text.strip().lower()
        try:
            if text == "max":
                return cls(SpeedMode.MAX)
            if text.endswith("x"):
                return cls(SpeedMode.FACTOR, factor=float(text[:-1])).validated()
            return cls(SpeedMode.REALTIME, interval_s=float(text.removesuffix("s"))).validated()
        except ValueError:
            raise ArenaError(
                ErrorCode.INVALID_CONFIG,
                f"speed must be 'max', a replay factor like '10x', or seconds per round like '0.5s', got {text!r}",
                "speed",
            ) from None

    def validated(self) -> SpeedSpec:
        if self.mode is SpeedMode.FACTOR and not (1.0 <= self.factor <= 100.0):
            raise ArenaError(ErrorCode.INVALID_CONFIG, "replay factor must be between 1x and 100x", "speed")
        if self.mode is SpeedMode.REALTIME and not (0.001 <= self.interval_s <= 3600):
            raise ArenaError(
                ErrorCode.INVALID_CONFIG, "round interval must be between 0.001 and 3600 seconds", "speed"
            )
        return self


@dataclass(frozen=True, slots=True)
class AgentSpec:
    name: str
    strategy: str
    params: dict[str, Any] = field(default_factory=dict)
    kind: str = "BUILTIN"


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
        from arena.agents.registry import validate_agent_spec

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
        return _jsonable(asdict(self))

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
                AgentSpec(a["name"], a["strategy"], dict(a["params"]), a.get("kind", "BUILTIN"))
                for a in data["agents"]
            ),
            fee_bps=Decimal(data["fee_bps"]),
            slippage_bps=Decimal(data["slippage_bps"]),
            seed=int(data["seed"]),
            rest_after_losses=int(data["rest_after_losses"]),
            rest_rounds=int(data["rest_rounds"]),
        )


def default_agents(strategies: tuple[str, ...] = MAIN_STRATEGIES + ("random",)) -> tuple[AgentSpec, ...]:
    return tuple(AgentSpec(name=s, strategy=s) for s in strategies)


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

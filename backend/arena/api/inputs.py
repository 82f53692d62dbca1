"""The input of `startCompetition`, and turning it into a competition's configuration."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from arena.agents.spec import AgentSpec, default_agents
from arena.engine.config import CompetitionConfig
from arena.errors import ArenaError, ErrorCode
from arena.feeds.spec import DEFAULT_SYMBOLS, FeedMode, FeedSpec, SpeedSpec


@strawberry.enum
class FeedChoice(Enum):
    SHARED = "SHARED"  # trade the arena's market feed
    SIMULATED = "SIMULATED"  # a fresh seeded simulation owned by the competition
    REPLAY = "REPLAY"  # replay recorded files


@strawberry.input
class AgentInput:
    name: str
    strategy: str
    params: JSON | None = None


@strawberry.input
class StartCompetitionInput:
    name: str = "Arena"
    symbols: list[str] | None = None
    feed: FeedChoice = FeedChoice.SHARED
    seed: int = 42
    replay_files: list[str] | None = strawberry.field(default=None, description="File names in a replay folder.")
    rounds: int | None = None
    duration_seconds: float | None = None
    speed: str = strawberry.field(
        default="1s", description="'max', a replay factor '10x', or seconds per round '0.5s'."
    )
    starting_cash: Decimal = Decimal(10_000)
    agents: list[AgentInput] | None = strawberry.field(default=None, description="Default: all built-in strategies.")
    fee_bps: Decimal = Decimal(10)
    slippage_bps: Decimal = Decimal(5)
    bots: list[strawberry.ID] | None = strawberry.field(default=None, description="Registered bots taking part.")


def resolve_replay_file(name: str, folders: tuple[str, ...]) -> str:
    """Only files inside the configured replay folders can be replayed."""
    for folder in folders:
        try:
            root = Path(folder).resolve()
            candidate = (root / name).resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return str(candidate)
        except (ValueError, OSError):  # NUL bytes, names too long: not a file we have
            continue
    raise ArenaError(ErrorCode.INVALID_CONFIG, f"no replay file {name!r} in the replay folders", "replayFiles")


def build_config(
    data: StartCompetitionInput, replay_folders: tuple[str, ...], bots: Sequence[AgentSpec] = ()
) -> CompetitionConfig:
    feed: FeedSpec | None = None
    if data.feed is FeedChoice.SIMULATED:
        feed = FeedSpec(FeedMode.SIM, seed=data.seed, symbols=tuple(data.symbols or DEFAULT_SYMBOLS))
    elif data.feed is FeedChoice.REPLAY:
        if not data.replay_files:
            raise ArenaError(ErrorCode.INVALID_CONFIG, "a replay needs at least one file", "replayFiles")
        feed = FeedSpec(
            FeedMode.REPLAY,
            seed=data.seed,
            paths=tuple(resolve_replay_file(f, replay_folders) for f in data.replay_files),
            symbols=tuple(data.symbols or ()),
        )
    for agent in data.agents or ():
        if agent.params is not None and not isinstance(agent.params, dict):
            raise ArenaError(ErrorCode.INVALID_CONFIG, "params must be an object", "agents")
    agents = (
        tuple(AgentSpec(a.name, a.strategy, dict(cast(dict[str, Any], a.params or {}))) for a in data.agents)
        if data.agents is not None
        else default_agents()
    ) + tuple(bots)
    return CompetitionConfig(
        name=data.name,
        symbols=tuple(data.symbols or DEFAULT_SYMBOLS),
        feed=feed,
        rounds=data.rounds,
        duration_s=data.duration_seconds,
        speed=SpeedSpec.parse(data.speed),
        starting_cash=data.starting_cash,
        agents=agents,
        fee_bps=data.fee_bps,
        slippage_bps=data.slippage_bps,
        seed=data.seed,
    )

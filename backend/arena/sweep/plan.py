"""A sweep's competitions: one per combination of its grid, on the same market with the same rules."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

from arena.agents.spec import AgentSpec
from arena.engine.config import CompetitionConfig
from arena.errors import ArenaError, ErrorCode
from arena.feeds.factory import build_feed
from arena.feeds.spec import FeedMode, SpeedSpec
from arena.sweep.grid import Combination, Grid, label


@dataclass(frozen=True, slots=True)
class Run:
    """One competition of the sweep; `index` is its place in the grid's order."""

    index: int
    combination: Combination
    config: CompetitionConfig

    @property
    def label(self) -> str:
        return label(self.combination)


@dataclass(frozen=True, slots=True)
class SweepPlan:
    grid: Grid
    runs: tuple[Run, ...]
    feed_description: str

    @property
    def size(self) -> int:
        return len(self.runs)


def competition_name(strategy: str, combination: Combination) -> str:
    """How a run is called in the History: `sweep momentum fast_window=5 slow_window=30`."""
    return f"sweep {strategy} {label(combination)}"


def plan_sweep(grid: Grid, base: CompetitionConfig) -> SweepPlan:
    """A validated competition per combination, from `base` (its feed, rounds, cash, fees, seed).

    A replay file is loaded here once, so a bad one is refused before any run starts; a
    simulation's clock is pinned so that every run trades the very same ticks.
    """
    feed = base.feed
    if feed is None or feed.mode not in (FeedMode.SIM, FeedMode.REPLAY):
        raise ArenaError(ErrorCode.INVALID_CONFIG, "a sweep trades a replay or a simulation: replay:FILE or sim[:SEED]")
    if feed.mode is FeedMode.SIM and feed.start is None:
        feed = replace(feed, start=datetime.now(UTC).replace(microsecond=0).isoformat())
    info = build_feed(feed, base.symbols).info
    runs = tuple(
        Run(
            index,
            combination,
            replace(
                base,
                name=competition_name(grid.strategy, combination),
                symbols=info.symbols,
                feed=feed,
                speed=SpeedSpec.parse("max"),
                agents=(AgentSpec(name=grid.strategy, strategy=grid.strategy, params=grid.params(combination)),),
            ).validated(),
        )
        for index, combination in enumerate(grid.combinations())
    )
    return SweepPlan(grid, runs, info.description)

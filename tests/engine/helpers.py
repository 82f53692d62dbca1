"""Builders for engine tests: configs on the seeded simulated feed and a collecting sink."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from arena.domain.events import Event
from arena.engine.config import AgentSpec, CompetitionConfig, FeedMode, FeedSpec, SpeedSpec, SpeedMode

STRATEGIES = ("momentum", "mean_reversion", "balanced", "buy_and_hold", "random")


def sim_config(rounds: int = 300, seed: int = 7, **overrides) -> CompetitionConfig:
    values = dict(
        name="test",
        feed=FeedSpec(FeedMode.SIM, seed=seed),
        rounds=rounds,
        speed=SpeedSpec(SpeedMode.MAX),
        starting_cash=Decimal(10_000),
        agents=tuple(AgentSpec(s, s) for s in STRATEGIES),
        seed=seed,
    )
    values.update(overrides)
    return CompetitionConfig(**values)


class CollectingSink:
    def __init__(self) -> None:
        self.events: list[Event] = []
        self.batches = 0

    async def __call__(self, events: Sequence[Event]) -> None:
        self.batches += 1
        self.events.extend(events)

    def of(self, kind: type) -> list:
        return [e for e in self.events if isinstance(e, kind)]

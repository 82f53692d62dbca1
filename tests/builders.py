"""Builders shared by the engine and application tests: configs on the seeded simulated feed,
a sink that collects events (and can be waited on), and a runner wired to sinks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from arena.agents.spec import AgentSpec
from arena.app.outbox import EventOutbox, Sink
from arena.app.runner import ArenaRunner
from arena.domain.events import Event
from arena.engine.config import CompetitionConfig
from arena.feeds.spec import FeedMode, FeedSpec, SpeedMode, SpeedSpec

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
    """Keeps every event it is given; `wait_for` waits (with a timeout) until a condition on them holds."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.batches = 0
        self._changed = asyncio.Event()

    async def __call__(self, events: Sequence[Event]) -> None:
        self.batches += 1
        self.events.extend(events)
        self._changed.set()

    def of(self, kind: type, since: int = 0) -> list[Any]:
        """The events of `kind`, from index `since` of `events` on."""
        return [e for e in self.events[since:] if isinstance(e, kind)]

    async def wait_for(self, condition: Callable[[], bool], timeout: float = 5.0, what: str = "") -> None:
        await wait_on(self._changed, condition, timeout, what)


def runner_with(*sinks: Sink, store: Sink | None = None, **options: Any) -> ArenaRunner:
    """A runner whose events go to `store` (when given) and then to `sinks`."""
    return ArenaRunner(EventOutbox(store, sinks), **options)


async def wait_on(changed: asyncio.Event, condition: Callable[[], bool], timeout: float, what: str = "") -> None:
    """Wait (with a timeout) until `condition` holds, checking it each time `changed` is set."""

    async def until() -> None:
        while not condition():
            changed.clear()
            await changed.wait()

    try:
        await asyncio.wait_for(until(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}") from None

"""A headless competition: run to the end, recording everything, and report."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from arena.app.collector import tuned_for_backtest
from arena.app.model_desk import ModelDesk
from arena.app.runner import ArenaRunner
from arena.app.wiring import event_pipeline, prepare_database
from arena.config import get_settings
from arena.domain.events import AgentSnapshot, CompetitionFinished, Event, RoundCompleted
from arena.engine.config import CompetitionConfig
from arena.feeds.factory import build_feed
from arena.feeds.live.exchanges import LiveOptions
from arena.feeds.spec import FeedMode, SpeedMode, SpeedSpec
from arena.store.db import Database
from arena.store.errors import StoreError
from arena.store.recorder import Recorder
from arena.store.writer import WriterProcess


@dataclass(frozen=True, slots=True)
class RunReport:
    competition_id: str
    status: str
    rounds: int
    agents: int
    seconds: float
    leaderboard: tuple[AgentSnapshot, ...]
    winner_id: str | None
    fills: int
    model_requests: int = 0  # requests sent to model agents' endpoints
    model_wait_s: float = 0.0  # how long the rounds waited on models (max speed)

    @property
    def bar_steps_per_second(self) -> float:
        return self.rounds * self.agents / self.seconds if self.seconds > 0 else 0.0


Progress = Callable[[int, float, float], None]


class _Progress:
    """Collects the outcome and calls `on_progress(round, elapsed, waited on models)` at most every
    `every` seconds."""

    def __init__(self, on_progress: Progress | None, every: float = 2.0) -> None:
        self.on_progress = on_progress
        self.models: ModelDesk | None = None
        self.every = every
        self.started = time.perf_counter()
        self._last = self.started
        self.last_round = 0
        self.finished: CompetitionFinished | None = None

    async def __call__(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, RoundCompleted):
                self.last_round = event.round
            elif isinstance(event, CompetitionFinished):
                self.finished = event
        now = time.perf_counter()
        if self.on_progress and now - self._last >= self.every:
            self._last = now
            self.on_progress(self.last_round, now - self.started, self.models.waited_s if self.models else 0.0)


async def run_headless(
    config: CompetitionConfig,
    db_path: str | None,
    on_progress: Progress | None = None,
    live: LiveOptions | None = None,
    *,
    writer_process: bool = True,
) -> RunReport:
    """Run `config` to its end. A live feed (`config.feed` `live:...`) plays as the market, one
    round per `live.interval` seconds, and the competition trades it. On an SQLite file the
    batches are committed by a process of their own (`arena.store.writer`) unless
    `writer_process` is False (a sweep whose runs already take every core)."""
    live = live or LiveOptions()
    market = None
    if config.feed is not None and config.feed.mode is FeedMode.LIVE:
        market = build_feed(config.feed, live=live)
        config = replace(config, feed=None, symbols=market.info.symbols)
    database = Database.open(db_path) if db_path else None
    writer: WriterProcess | None = None
    try:
        recorder: Recorder | None = None
        if database is not None:
            await prepare_database(database)
            if writer_process and database.file is not None:
                writer = await WriterProcess(str(database.file)).start()
            recorder = Recorder(database, writer=writer)
        progress = _Progress(on_progress)
        runner = ArenaRunner(
            event_pipeline(recorder, extra=[progress]),
            market_feed=market,
            market_speed=SpeedSpec(SpeedMode.REALTIME, interval_s=live.interval),
        )
        progress.models = runner.models
        with tuned_for_backtest(get_settings().tune_gc):
            started = time.perf_counter()
            competition = await runner.start(config)
            loop_task = asyncio.create_task(runner.run())
            finished = asyncio.create_task(runner.finished.wait())
            await asyncio.wait({loop_task, finished}, return_when=asyncio.FIRST_COMPLETED)
            finished.cancel()
            runner.request_shutdown()
            await loop_task
            seconds = time.perf_counter() - started
            if runner.outbox.pending:
                failure = runner.outbox.failure
                raise StoreError(
                    f"{runner.outbox.pending} events were not stored" + (f": {failure.reason}" if failure else "")
                )
    finally:
        if writer is not None:
            await writer.close()
        if database is not None:
            await database.close()
    ending = progress.finished
    return RunReport(
        competition_id=competition.id,
        status=competition.status.value,
        rounds=competition.round,
        agents=len(competition.entrants),
        seconds=seconds,
        leaderboard=ending.leaderboard if ending else competition.leaderboard(),
        winner_id=ending.winner_id if ending else None,
        fills=recorder.fills_persisted
        if recorder
        else sum(e.account.trade_count for e in competition.entrants.values()),
        model_requests=runner.models.requests,
        model_wait_s=runner.models.waited_s,
    )

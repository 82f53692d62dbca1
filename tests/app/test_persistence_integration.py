"""The runner and the recorder on a real SQLite file: persist, reopen, rebuild, interrupt."""

import asyncio
import contextlib
import os
import signal
from dataclasses import replace

from arena.app.outbox import Backoff, EventOutbox, FlushPolicy
from arena.app.runner import ArenaRunner
from arena.domain.events import CompetitionStatus, RoundCompleted
from arena.feeds.spec import SpeedMode, SpeedSpec
from arena.store import competitions, equity, fills
from arena.store.db import Database
from arena.store.rebuild import rebuild_accounts
from arena.store.recorder import Recorder
from arena.store.writer import WriterProcess

from ..builders import CollectingSink, runner_with, sim_config


async def run_to_end(db: Database, config):
    runner = runner_with(store=Recorder(db).record)
    competition = await runner.start(config)
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(runner.finished.wait(), 20)
    runner.request_shutdown()
    await task
    return competition


async def test_rebuilt_accounts_equal_the_live_ones_after_reopening(tmp_path):
    path = tmp_path / "arena.db"
    db = Database.from_path(path)
    await db.init()
    competition = await run_to_end(db, sim_config(rounds=400, seed=9))
    await db.close()

    reopened = Database.from_path(path)
    try:
        row = await competitions.get_competition(reopened, competition.id)
        assert row.status == CompetitionStatus.FINISHED.value and row.round == 400
        assert row.winner_agent_id == competition.leaderboard()[0].agent_id
        count = await fills.count_fills(reopened, competition_id=competition.id)
        assert count == sum(e.account.trade_count for e in competition.entrants.values()) > 0
        rebuilt = await rebuild_accounts(reopened, competition.id)
        for agent_id, entrant in competition.entrants.items():
            live, again = entrant.account, rebuilt[agent_id]
            assert again.cash == live.cash
            assert again.realized_pnl == live.realized_pnl
            assert {s: (p.quantity, p.cost_basis) for s, p in again.positions.items()} == {
                s: (p.quantity, p.cost_basis) for s, p in live.positions.items()
            }
        stored = {s.agent_id: s for s in await equity.latest_standings(reopened, competition.id)}
        assert {a: s for a, s in stored.items()} == {s.agent_id: s for s in competition.leaderboard()}
    finally:
        await reopened.close()


async def test_a_competition_left_running_is_marked_interrupted_on_start(tmp_path):
    path = tmp_path / "arena.db"
    db = Database.from_path(path)
    await db.init()
    seen = CollectingSink()
    runner = runner_with(seen, store=Recorder(db).record)
    competition = await runner.start(sim_config(rounds=None, seed=4))
    task = asyncio.create_task(runner.run())
    await seen.wait_for(lambda: len(seen.of(RoundCompleted)) >= 20, timeout=10, what="20 recorded rounds")
    task.cancel()  # the process "dies": no stop, no finish
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await db.close()

    reopened = Database.from_path(path)
    await reopened.init()
    try:
        assert await competitions.mark_interrupted(reopened) == [competition.id]
        row = await competitions.get_competition(reopened, competition.id)
        assert row.status == CompetitionStatus.INTERRUPTED.value
        assert row.round >= 20
        rebuilt = await rebuild_accounts(reopened, competition.id)
        assert set(rebuilt) == set(competition.entrants)
    finally:
        await reopened.close()


async def test_a_backtest_whose_writer_process_dies_goes_on_and_stores_everything(tmp_path):
    """At max speed through a writer process, killed once play is under way (after the first batch
    it commits, maybe with the next one in it): a batch it had is refused and retried, a batch after
    it starts a new writer, and every round and fill gets stored."""
    path = tmp_path / "arena.db"
    db = Database.from_path(path)
    await db.init()
    writer = await WriterProcess(str(path)).start()
    killed: list[int] = []

    async def kill_the_writer_once(events):  # a sink after the store: the batch before is committed
        if not killed and writer.pid is not None:
            killed.append(writer.pid)
            os.kill(writer.pid, signal.SIGKILL)

    outbox = EventOutbox(
        Recorder(db, writer=writer).record,
        [kill_the_writer_once],
        policy=FlushPolicy(rounds=50, seconds=60.0),
        backoff=Backoff(first=0.01),
    )
    runner = ArenaRunner(outbox)
    config = replace(sim_config(rounds=600, seed=5), speed=SpeedSpec(SpeedMode.MAX))
    try:
        competition = await runner.start(config)
        task = asyncio.create_task(runner.run())
        await asyncio.wait_for(runner.finished.wait(), 60)
        runner.request_shutdown()
        await task
        assert killed and writer.restarts == 1
        row = await competitions.get_competition(db, competition.id)
        assert row.status == CompetitionStatus.FINISHED.value and row.round == 600
        count = await fills.count_fills(db, competition_id=competition.id)
        assert count == sum(e.account.trade_count for e in competition.entrants.values()) > 0
        series = await equity.equity_series(db, competition.id)
        assert all(len(values) == 600 for values in series.values())
    finally:
        await writer.close()
        await db.close()

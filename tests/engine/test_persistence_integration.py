"""The runner and the recorder on a real SQLite file: persist, reopen, rebuild, interrupt."""

import asyncio

from arena.domain.events import CompetitionStatus as S
from arena.engine.runner import ArenaRunner
from arena.store.db import Database
from arena.store.rebuild import rebuild_accounts
from arena.store.recorder import Recorder
from arena.store import repository

from .helpers import sim_config


async def run_to_end(db: Database, config):
    runner = ArenaRunner([Recorder(db).record])
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
        row = await repository.get_competition(reopened, competition.id)
        assert row.status == S.FINISHED.value and row.round == 400
        assert row.winner_agent_id == competition.leaderboard()[0].agent_id
        fills = await repository.count_fills(reopened, competition_id=competition.id)
        assert fills == sum(e.account.trade_count for e in competition.entrants.values()) > 0
        rebuilt = await rebuild_accounts(reopened, competition.id)
        for agent_id, entrant in competition.entrants.items():
            live, again = entrant.account, rebuilt[agent_id]
            assert again.cash == live.cash
            assert again.realized_pnl == live.realized_pnl
            assert {s: (p.quantity, p.cost_basis) for s, p in again.positions.items()} == {
                s: (p.quantity, p.cost_basis) for s, p in live.positions.items()
            }
        snapshots = await repository.latest_snapshots(reopened, competition.id)
        by_agent = {s.agent_id: s for s in snapshots}
        for snap in competition.leaderboard():
            assert by_agent[snap.agent_id].equity == snap.equity
    finally:
        await reopened.close()


async def test_a_competition_left_running_is_marked_interrupted_on_start(tmp_path):
    path = tmp_path / "arena.db"
    db = Database.from_path(path)
    await db.init()
    runner = ArenaRunner([Recorder(db).record])
    competition = await runner.start(sim_config(rounds=None, seed=4))
    task = asyncio.create_task(runner.run())
    while competition.round < 20:
        await asyncio.sleep(0.001)
    task.cancel()  # the process "dies": no stop, no finish
    try:
        await task
    except asyncio.CancelledError:
        pass
    await db.close()

    reopened = Database.from_path(path)
    await reopened.init()
    try:
        assert await repository.mark_interrupted(reopened) == [competition.id]
        row = await repository.get_competition(reopened, competition.id)
        assert row.status == S.INTERRUPTED.value
        rebuilt = await rebuild_accounts(reopened, competition.id)
        assert set(rebuilt) == set(competition.entrants)
    finally:
        await reopened.close()

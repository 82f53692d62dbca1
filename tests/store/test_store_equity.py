"""Equity rows: the latest standing per agent, and equity history."""

from __future__ import annotations

from datetime import timedelta

from arena.store import equity
from arena.store.db import Database
from arena.store.recorder import Recorder
from tests.store.store_builders import (
    T0,
    created,
    round_completed,
)


async def test_latest_standings_are_the_last_recorded_per_agent(db: Database) -> None:
    recorder = Recorder(db)
    birth = created("c1")
    agents = [e.agent_id for e in birth.entrants]
    await recorder.record([birth])
    for r in range(1, 6):
        # the last agent drops out of the leaderboard after round 2
        board = agents if r <= 2 else agents[:-1]
        await recorder.record([round_completed("c1", r, T0 + timedelta(seconds=r), list(reversed(board)))])
    latest = await equity.latest_standings(db, "c1")
    last_round = round_completed("c1", 5, T0, list(reversed(agents[:-1]))).leaderboard
    dropped_out = round_completed("c1", 2, T0, list(reversed(agents))).leaderboard[0]
    assert latest == [*last_round, dropped_out]  # whole snapshots, exactly as recorded
    assert [(s.agent_id, s.rank) for s in latest] == [(agents[2], 1), (agents[1], 2), (agents[0], 3), (agents[3], 1)]
    assert await equity.latest_standings(db, "other") == []


async def test_equity_history_filters_by_time_and_keeps_the_latest(db: Database) -> None:
    recorder = Recorder(db)
    birth = created("c1", names=("momentum",))
    agent = birth.entrants[0].agent_id
    await recorder.record([birth])
    await recorder.record([round_completed("c1", r, T0 + timedelta(minutes=r), [agent]) for r in range(1, 21)])
    history = await equity.equity_history(db, agent)
    assert [h.round for h in history] == list(range(1, 21))
    window = await equity.equity_history(db, agent, since=T0 + timedelta(minutes=5), until=T0 + timedelta(minutes=9))
    assert [h.round for h in window] == [5, 6, 7, 8]
    assert [h.round for h in await equity.equity_history(db, agent, limit=3)] == [18, 19, 20]
    assert await equity.equity_history(db, "nobody") == []

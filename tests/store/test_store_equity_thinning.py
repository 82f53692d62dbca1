"""Equity rows at max speed: a round equal to the agent's round before gets no row of its own,
yet the stored rows give back every round's curve (and every recovery the same trackers)."""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict

from arena.app.outbox import EventOutbox, FlushPolicy
from arena.app.runner import ArenaRunner
from arena.domain.events import STANDING_FIELDS, AgentSnapshot, RoundCompleted
from arena.store import equity
from arena.store.db import Database
from arena.store.recorder import Recorder
from tests.builders import CollectingSink, sim_config

ROUNDS = 600
CURVE_FIELDS = ("equity", "cash", "return_pct", "trade_count", "status", "rank")


async def _play(db: Database) -> tuple[str, CollectingSink]:
    sink = CollectingSink()
    # batches that end at odd rounds: a run of equal rounds often spans two batches
    outbox = EventOutbox(Recorder(db).record, [sink], policy=FlushPolicy(rounds=97, seconds=60.0))
    runner = ArenaRunner(outbox)
    competition = await runner.start(sim_config(rounds=ROUNDS, seed=11))
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(runner.finished.wait(), 60)
    runner.request_shutdown()
    await task
    return competition.id, sink


def _every_round(sink: CollectingSink) -> dict[str, dict[int, AgentSnapshot]]:
    rounds: dict[str, dict[int, AgentSnapshot]] = defaultdict(dict)
    for event in sink.of(RoundCompleted):
        for snapshot in event.leaderboard:
            rounds[snapshot.agent_id][event.round] = snapshot
    return rounds


def _curve(snapshot: AgentSnapshot) -> tuple[object, ...]:
    return tuple(getattr(snapshot, name) for name in CURVE_FIELDS)


async def test_the_stored_rows_are_fewer_and_the_line_through_them_is_every_rounds_curve(db: Database) -> None:
    competition_id, sink = await _play(db)
    every = _every_round(sink)
    times = {event.round: event.at for event in sink.of(RoundCompleted)}
    stored_rows = 0
    for agent_id, by_round in every.items():
        rows = await equity.equity_history(db, agent_id, limit=100_000)
        stored = {row.round: row for row in rows}
        stored_rows += len(stored)
        assert min(stored) == 1 and max(stored) == ROUNDS  # the first round and the last always
        for round_, row in stored.items():  # a stored row is that round's standing
            snapshot = by_round[round_]
            expected = {name: getattr(snapshot, name) for name in STANDING_FIELDS}
            expected.update(status=snapshot.status.value, competition_id=competition_id, at=times[round_])
            assert {k: getattr(row, k) for k in expected} == expected
        marks = sorted(stored)
        for before, after in itertools.pairwise(marks):
            if after - before > 1:  # the rounds between two rows: one run of equal standings, both ends stored
                run = {_curve(by_round[r]) for r in range(before, after + 1)}
                assert len(run) == 1, f"{agent_id}: rounds {before}..{after} are not one flat run"
            for round_ in range(before, after + 1):  # what a chart draws: the line between the two rows
                left, right = stored[before], stored[after]
                drawn = left.equity + (right.equity - left.equity) * (round_ - before) / (after - before)
                assert drawn == by_round[round_].equity, f"{agent_id}: round {round_}"
    assert stored_rows < ROUNDS * len(every), "flat rounds were stored anyway"


async def test_recovery_reads_every_rounds_equity_back(db: Database) -> None:
    competition_id, sink = await _play(db)
    series = await equity.equity_series(db, competition_id)
    every = _every_round(sink)
    assert series == {agent: [by_round[r].equity for r in sorted(by_round)] for agent, by_round in every.items()}

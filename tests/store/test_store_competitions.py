"""Competitions and entrants in the store: marking crashed ones, keyset pages, wins."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from arena.domain.events import CompetitionStatus
from arena.errors import ArenaError, ErrorCode
from arena.store import competitions, entrants
from arena.store.db import Database
from arena.store.event_rows import to_json
from arena.store.recorder import Recorder
from tests.store.store_builders import (
    T0,
    OpenDb,
    agent_id,
    created,
    finished,
    round_completed,
    state,
)


async def _competition_in(recorder: Recorder, competition_id: str, *path: CompetitionStatus, at: datetime = T0) -> None:
    events: list = [created(competition_id, at=at)]  # type: ignore[type-arg]
    previous = CompetitionStatus.IDLE
    for status in path:
        events.append(state(competition_id, previous, status, at=at))
        previous = status
    await recorder.record(events)


async def test_mark_interrupted_flips_only_running_and_paused(open_db: OpenDb) -> None:
    db = await open_db()
    recorder = Recorder(db)
    await _competition_in(recorder, "idle")
    await _competition_in(recorder, "running", CompetitionStatus.RUNNING)
    await _competition_in(recorder, "paused", CompetitionStatus.RUNNING, CompetitionStatus.PAUSED)
    await _competition_in(recorder, "stopped", CompetitionStatus.RUNNING, CompetitionStatus.STOPPED)
    await _competition_in(recorder, "finished", CompetitionStatus.RUNNING, CompetitionStatus.FINISHED)
    await db.close()  # as if the process had crashed

    db = await open_db()
    assert await competitions.mark_interrupted(db) == ["paused", "running"]
    assert await competitions.mark_interrupted(db) == []
    statuses = {c.id: c.status for c in await competitions.list_competitions(db, limit=10)}
    assert statuses == {
        "idle": "IDLE",
        "running": "INTERRUPTED",
        "paused": "INTERRUPTED",
        "stopped": "STOPPED",
        "finished": "FINISHED",
    }


async def test_list_competitions_newest_first_with_keyset_pages(db: Database) -> None:
    recorder = Recorder(db)
    # c00..c09: two share each created_at, so the id breaks ties
    for i in range(10):
        await _competition_in(
            recorder, f"c{i:02}", *((CompetitionStatus.RUNNING,) if i % 3 else ()), at=T0 + timedelta(i // 2)
        )
    expected = [f"c{i:02}" for i in (9, 8, 7, 6, 5, 4, 3, 2, 1, 0)]
    seen: list[str] = []
    after: str | None = None
    while page := await competitions.list_competitions(db, limit=3, after_id=after):
        seen += [c.id for c in page]
        after = page[-1].id
    assert seen == expected
    running = await competitions.list_competitions(db, status=CompetitionStatus.RUNNING, limit=4)
    assert [c.id for c in running] == ["c08", "c07", "c05", "c04"]
    more = await competitions.list_competitions(db, status="RUNNING", limit=4, after_id="c04")
    assert [c.id for c in more] == ["c02", "c01"]
    with pytest.raises(ArenaError) as error:
        await competitions.list_competitions(db, after_id="nope")
    assert error.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(ArenaError):
        await competitions.list_competitions(db, limit=0)


async def test_get_competition_and_its_entrants(db: Database) -> None:
    recorder = Recorder(db)
    birth = created("c1", names=("zeta", "alpha", "mid"))
    await recorder.record([birth])
    assert await competitions.get_competition(db, "missing") is None
    assert (await competitions.get_competition(db, "c1")).round == 0  # type: ignore[union-attr]
    stored = await entrants.list_entrants(db, "c1")
    # as the engine made them; params come back as JSON gives them (decimals as strings)
    assert [replace(e, params=json.loads(to_json(e.params))) for e in birth.entrants] == stored
    agents = [e.agent_id for e in birth.entrants]
    await recorder.record([round_completed("c1", r, T0 + timedelta(seconds=r), agents) for r in (1, 2, 3)])
    async with db.session() as session:  # several reads in one session
        assert (await competitions.get_competition(session, "c1")).round == 3  # type: ignore[union-attr]
        assert await entrants.get_entrant(session, agents[1]) == ("c1", stored[1])


async def test_wins_by_agent_name_counts_finished_competitions(db: Database) -> None:
    recorder = Recorder(db)
    names = ("momentum", "balanced")
    for cid, winner, status in [
        ("a", "momentum", CompetitionStatus.FINISHED),
        ("b", "balanced", CompetitionStatus.FINISHED),
        ("c", "momentum", CompetitionStatus.FINISHED),
        ("d", "balanced", CompetitionStatus.STOPPED),
    ]:
        agents = [agent_id(cid, n) for n in (winner, *(n for n in names if n != winner))]
        await recorder.record([created(cid, names=names), finished(cid, 5, T0, agents, status)])
    await _competition_in(recorder, "e", CompetitionStatus.RUNNING)
    assert await entrants.wins_by_agent_name(db) == {"momentum": 2, "balanced": 1}

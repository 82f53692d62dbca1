"""Batches committed by a writer process of their own: the same rows as through this process's
connection, a refused batch leaves nothing behind, and a writer that dies is replaced."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from enum import StrEnum
from pathlib import Path

import pytest

from arena.domain.events import CompetitionStatus, Event
from arena.store.db import Database
from arena.store.errors import RecordError
from arena.store.recorder import Recorder
from arena.store.writer import WriterError, WriterProcess
from tests.store.store_builders import T0, Ledger, created, finished, quotes, round_completed, state

TABLES = ("competition", "entrant", "price_tick", "fill", "equity")


def batches(competition_id: str) -> list[list[Event]]:
    """A competition's life in three batches: created and started, 40 rounds with fills, finished."""
    birth = created(competition_id)
    agents = [e.agent_id for e in birth.entrants]
    ledger = Ledger(competition_id, agents)
    first: list[Event] = [birth, state(competition_id, CompetitionStatus.IDLE, CompetitionStatus.RUNNING)]
    play: list[Event] = []
    for round_ in range(1, 41):
        at = T0 + timedelta(minutes=round_)
        play.append(quotes(competition_id, round_, at))
        play.extend(ledger.fills(2, round_=round_, at=at))
        play.append(round_completed(competition_id, round_, at, agents))
    end: list[Event] = [finished(competition_id, 40, T0 + timedelta(minutes=41), agents, CompetitionStatus.FINISHED)]
    return [first, play, end]


def stored(path: Path) -> dict[str, list[tuple[object, ...]]]:
    with sqlite3.connect(path) as connection:
        return {table: connection.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall() for table in TABLES}


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database.open(tmp_path / "writer.db")
    await db.init()
    yield db
    await db.close()


@pytest.fixture
async def writer(database: Database) -> AsyncIterator[WriterProcess]:
    assert database.file is not None
    process = await WriterProcess(str(database.file)).start()
    yield process
    await process.close()


async def record_all(recorder: Recorder, events: Sequence[Sequence[Event]]) -> None:
    for batch in events:
        await recorder.record(batch)


async def test_a_writer_process_stores_what_the_recorders_own_connection_stores(
    database: Database, writer: WriterProcess, tmp_path: Path
) -> None:
    await record_all(Recorder(database, writer=writer), batches("c1"))
    reference = Database.open(tmp_path / "reference.db")
    await reference.init()
    try:
        await record_all(Recorder(reference), batches("c1"))
    finally:
        await reference.close()
    assert database.file is not None
    mine, theirs = stored(database.file), stored(tmp_path / "reference.db")
    assert len(mine["fill"]) == 80 and len(mine["price_tick"]) == 120
    assert mine == theirs


async def test_a_refused_batch_stores_nothing_and_the_next_one_goes_in(
    database: Database, writer: WriterProcess
) -> None:
    recorder = Recorder(database, writer=writer)
    first, play, _ = batches("c1")
    await recorder.record(first)
    generation = database.generation
    refused = [*play[:3], state("nope", CompetitionStatus.RUNNING, CompetitionStatus.PAUSED)]  # an unknown competition
    with pytest.raises(RecordError, match="unknown competition 'nope'"):
        await recorder.record(refused)
    assert database.file is not None
    assert stored(database.file)["price_tick"] == []  # the ticks before the refusal went with it
    assert database.generation == generation
    await recorder.record(play)
    assert len(stored(database.file)["price_tick"]) == 120
    assert database.generation == generation + 1  # readers of this process know the record moved


async def test_a_writer_that_died_between_batches_is_replaced(database: Database, writer: WriterProcess) -> None:
    recorder = Recorder(database, writer=writer)
    first, play, end = batches("c1")
    await recorder.record(first)
    assert writer.pid is not None
    os.kill(writer.pid, signal.SIGKILL)
    try:  # its death is seen when the next batch is sent, or already before (then a new one takes it)
        await recorder.record(play)
    except RecordError as refused:
        assert "writer process stopped (exit code -9)" in str(refused)
        await recorder.record(play)  # as the outbox retries it
    await recorder.record(end)
    assert writer.restarts == 1
    assert database.file is not None
    rows = stored(database.file)
    assert len(rows["fill"]) == 80 and len(rows["competition"]) == 1


async def test_a_writer_that_dies_with_a_batch_fails_it_and_the_same_batch_goes_in_again(
    database: Database, writer: WriterProcess
) -> None:
    recorder = Recorder(database, writer=writer)
    first, play, end = batches("c1")
    await recorder.record(first)
    pid = writer.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # it will not answer the batch sent to it now
    attempt = asyncio.create_task(recorder.record(play))
    await asyncio.sleep(0.2)
    assert not attempt.done()
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(RecordError, match=r"writer process stopped \(exit code -9\)"):
        await asyncio.wait_for(attempt, 10)
    assert database.file is not None
    assert stored(database.file)["fill"] == []
    await recorder.record(play)  # as the outbox retries it
    await recorder.record(end)
    assert writer.restarts == 1
    assert len(stored(database.file)["fill"]) == 80


async def test_closing_ends_the_process(database: Database) -> None:
    assert database.file is not None
    process = await WriterProcess(str(database.file)).start()
    pid = process.pid
    assert pid is not None
    await process.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_a_writer_is_only_for_an_sqlite_file_without_an_annex(tmp_path: Path) -> None:
    class Annex:
        def prepare(self, events: object) -> None: ...

        async def write(self, session: object, prepared: object) -> None: ...

        def committed(self, prepared: object) -> None: ...

    db = Database.open(tmp_path / "a.db")
    try:
        with pytest.raises(ValueError):
            Recorder(db, Annex(), writer=WriterProcess(str(tmp_path / "a.db")))
    finally:
        await db.close()


async def test_a_writer_that_dies_after_its_commit_is_taken_at_its_word_and_nothing_is_stored_twice(
    database: Database,
) -> None:
    """The child commits the batch and dies before it answers: the batch is stored, so the
    recorder must not report it refused (the outbox would send it again: its fills twice)."""
    assert database.file is not None
    dying = WriterProcess(str(database.file), command=[sys.executable, "-m", "tests.store.writer_that_dies"])
    recorder = Recorder(database, writer=dying)
    first, play, end = batches("c1")
    try:
        await recorder.record(first)  # committed, then the child exits 9 without a word
        assert stored(database.file)["competition"] != []
        dying.command = WriterProcess(str(database.file)).command  # from now on a writer that answers
        await recorder.record(play)
        await recorder.record(end)
    finally:
        await dying.close()
    rows = stored(database.file)
    assert len(rows["competition"]) == 1 and len(rows["fill"]) == 80


async def test_a_write_given_up_by_its_caller_still_finishes_before_the_next(
    database: Database, writer: WriterProcess
) -> None:
    recorder = Recorder(database, writer=writer)
    first, play, end = batches("c1")
    await recorder.record(first)
    assert writer.pid is not None
    os.kill(writer.pid, signal.SIGSTOP)  # it takes the next frame only once it runs again
    try:
        given_up = asyncio.create_task(recorder.record(play))
        await asyncio.sleep(0.05)
        given_up.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await given_up
        after = asyncio.create_task(recorder.record(end))
        await asyncio.sleep(0.05)
        assert not after.done()  # waiting for the answer to the batch before it
    finally:
        os.kill(writer.pid, signal.SIGCONT)
    await asyncio.wait_for(after, 10)
    assert database.file is not None
    rows = stored(database.file)
    assert len(rows["fill"]) == 80 and len(rows["competition"]) == 1


async def test_a_value_the_pipe_cannot_carry_is_refused_with_a_clear_message(writer: WriterProcess) -> None:
    class Status(StrEnum):
        ACTIVE = "ACTIVE"

    with pytest.raises(WriterError, match="cannot take"):
        await writer.write([("UPDATE competition SET status = ? WHERE 0", [(Status.ACTIVE,)], False, "")])

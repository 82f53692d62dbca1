"""Running a sweep's competitions on all cores, and storing each finished one in the arena's database.

Each worker process records its run into a SQLite file of its own, and this process copies every
finished run into the arena's database (see `merge`): SQLite takes one writer at a time, so
workers sharing the file would queue on its lock (or time out on it) at max speed, where separate
files never wait, and a run reaches the History whole or not at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory

from arena.errors import ArenaError, ErrorCode
from arena.store.db import Database
from arena.store.errors import StoreError
from arena.sweep.merge import Merger
from arena.sweep.plan import SweepPlan
from arena.sweep.worker import STORE_FAILURE, Job, RunFailure, RunResult, quiet_worker, run_job

logger = logging.getLogger(__name__)

OnResult = Callable[[RunResult], None]


@dataclass(frozen=True, slots=True)
class SweepResult:
    results: tuple[RunResult, ...]  # in the grid's order
    seconds: float
    workers: int
    stored_in: Path | None  # the database file the runs were copied into


def default_workers() -> int:
    """The cores this process may run on (a container's limit, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def run_sweep(
    plan: SweepPlan, *, db: str | None, workers: int | None = None, on_result: OnResult | None = None
) -> SweepResult:
    """Run every competition of `plan`, `workers` at a time (default: one per core), storing each in
    `db` (a file path or SQLite URL; None: nothing is stored). `on_result` hears of each finished run,
    in the order they finish. A failed run stops the sweep with its error; the runs stored before it stay."""
    workers = max(1, min(workers or default_workers(), plan.size))
    started = time.perf_counter()
    with TemporaryDirectory(prefix="arena-sweep-") as scratch, contextlib.ExitStack() as stack:
        target: Path | None = None
        template: Path | None = None
        merger: Merger | None = None
        if db is not None:
            template = Path(scratch) / "template.db"
            target = asyncio.run(_prepare(db, template))
            merger = stack.enter_context(Merger(target))
        # a run's own writer process only where each worker has a core left for it
        writer_process = 2 * workers <= default_workers()
        jobs = [
            Job(
                run.index,
                run.config,
                str(Path(scratch) / f"run-{run.index}.db") if merger else None,
                str(template) if template else None,
                writer_process,
            )
            for run in plan.runs
        ]
        results = _dispatch(plan, jobs, workers, merger, on_result)
    return SweepResult(tuple(results), time.perf_counter() - started, workers, target)


async def _prepare(db: str, template: Path) -> Path:
    """Migrate the arena's database (only that: a sweep leaves no competition running) and make an
    empty one at the same schema for the workers to copy; returns the arena database's file."""
    target = Database.open(db)
    try:
        if not target.is_sqlite:
            raise ArenaError(
                ErrorCode.INVALID_CONFIG,
                "a sweep copies its runs into an SQLite file; for a PostgreSQL arena run it with --db FILE "
                "(or --no-db)",
                "db",
            )
        path = target.url.database
        if not path or path == ":memory:" or target.url.query.get("mode") == "memory":
            raise ArenaError(ErrorCode.INVALID_CONFIG, "a sweep stores its runs in a database file: --db PATH", "db")
        await target.init()
    finally:
        await target.close()
    blank = Database.open(template)
    try:
        with _quiet("arena.store"):  # a scratch file of this sweep's: its creation is no news
            await blank.init()
    finally:
        await blank.close()
    return Path(path)


@contextlib.contextmanager
def _quiet(name: str) -> Iterator[None]:
    log = logging.getLogger(name)
    level = log.level
    log.setLevel(logging.WARNING)
    try:
        yield
    finally:
        log.setLevel(level)


def _dispatch(
    plan: SweepPlan, jobs: Sequence[Job], workers: int, merger: Merger | None, on_result: OnResult | None
) -> list[RunResult]:
    # spawn, not fork: the parent may hold threads (the progress bar's) and asyncio state
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=quiet_worker)
    finished: dict[int, RunResult] = {}
    stored = 0
    try:
        for future in as_completed([pool.submit(run_job, job) for job in jobs]):
            outcome = future.result()
            if isinstance(outcome, RunFailure):
                raise _error(plan, outcome)
            finished[outcome.index] = outcome
            if on_result is not None:
                on_result(outcome)
            # copied in the grid's order, whatever order they finish in: runs take trade ids in that order
            while merger is not None and stored in finished:
                _store(merger, jobs[stored])
                stored += 1
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    return [finished[index] for index in range(len(jobs))]


def _store(merger: Merger, job: Job) -> None:
    assert job.db_path is not None
    source = Path(job.db_path)
    started = time.perf_counter()
    rows = merger.copy_run(source)
    logger.debug("run %d stored: %d rows in %.3fs", job.index, rows, time.perf_counter() - started)
    for leftover in (source, source.with_name(source.name + "-wal"), source.with_name(source.name + "-shm")):
        leftover.unlink(missing_ok=True)


def _error(plan: SweepPlan, failure: RunFailure) -> Exception:
    message = f"the run {plan.runs[failure.index].label} failed: {failure.message}"
    if failure.code == STORE_FAILURE:
        return StoreError(message)
    return ArenaError(ErrorCode(failure.code), message)

"""One run of a sweep, in a worker process: a headless competition at max speed, into its own file."""

from __future__ import annotations

import asyncio
import logging
import shutil
from dataclasses import dataclass

from arena.app.headless import run_headless
from arena.engine.config import CompetitionConfig
from arena.errors import ArenaError
from arena.store.errors import StoreError

STORE_FAILURE = "STORE"


@dataclass(frozen=True, slots=True)
class Job:
    index: int
    config: CompetitionConfig
    db_path: str | None  # this run's own SQLite file; None: not stored
    template: str | None  # an empty database at the current schema, copied to `db_path`
    writer_process: bool = False  # commit through a process of its own (arena.store.writer)


@dataclass(frozen=True, slots=True)
class RunResult:
    """The one agent's final standing, in plain values (it crosses a process boundary)."""

    index: int
    competition_id: str
    status: str
    rounds: int
    fills: int
    seconds: float
    return_pct: float
    sharpe: float | None
    max_drawdown: float
    trade_count: int
    win_rate: float | None
    equity: str


@dataclass(frozen=True, slots=True)
class RunFailure:
    """A run that was refused or could not be stored; `code` is an ErrorCode value, or STORE."""

    index: int
    code: str
    message: str


def quiet_worker() -> None:
    """Worker start-up: warnings only, since a line per run from every worker would bury the progress bar."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


def run_job(job: Job) -> RunResult | RunFailure:
    """Run `job` to its end. Refusals come back as a RunFailure: ArenaError does not survive pickling."""
    try:
        if job.db_path is not None and job.template is not None:
            # a copy of a migrated file, instead of running every migration once per run
            shutil.copyfile(job.template, job.db_path)
        report = asyncio.run(run_headless(job.config, job.db_path, writer_process=job.writer_process))
    except ArenaError as exc:
        return RunFailure(job.index, exc.code.value, exc.message)
    except StoreError as exc:
        return RunFailure(job.index, STORE_FAILURE, str(exc))
    (agent,) = report.leaderboard
    return RunResult(
        index=job.index,
        competition_id=report.competition_id,
        status=report.status,
        rounds=report.rounds,
        fills=report.fills,
        seconds=report.seconds,
        return_pct=agent.return_pct,
        sharpe=agent.sharpe,
        max_drawdown=agent.max_drawdown,
        trade_count=agent.trade_count,
        win_rate=agent.win_rate,
        equity=str(agent.equity),
    )

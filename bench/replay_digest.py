"""A fingerprint of a full replay: every event the engine emits and every row the store keeps.

    python -m bench.replay_digest [--rounds N] [--out digest.json]

Run it before and after a change to the engine or the store that must not change results: the
two digests are equal when every event (its repr) and every stored row is the same. What differs
between any two runs is normalised first: the competition's id (random), the entrants' ids that
embed it, and wall-clock times (the competition's creation, state changes and end, and rows'
created-at stamps: the replayed data is from 2022, the wall clock is not).

Equity rows are compared by the standings they record, not by how many there are: the recorder
keeps a row where an agent's standing changed, and also closes every run of equal rounds at the
end of each batch it commits; at max speed where batches end depends on how fast the store keeps
up (a timing), so two runs of the same replay may store a few more or fewer run-closing rows, all
on the same curve. The digest of `equity` is over the rows where the standing changes (and each
agent's last row): those every run stores, with the same values; `equity_rows` is only reported.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import re
import sqlite3
import tempfile
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from arena.agents.spec import AgentSpec
from arena.app.runner import ArenaRunner
from arena.app.wiring import event_pipeline, prepare_database
from arena.domain.events import CompetitionCreated, Event
from arena.engine.config import CompetitionConfig
from arena.feeds.spec import FeedSpec, SpeedSpec
from arena.store.db import Database
from arena.store.recorder import Recorder
from arena.store.writer import WriterProcess
from bench.common import BTC_CSV

STRATEGIES = ("momentum", "mean_reversion", "balanced", "buy_and_hold", "random")
# wall-clock times (2023 on; the data is older): as reprs, as text, and as stored microseconds
WALL_CLOCK = re.compile(
    r"datetime\.datetime\(20(2[3-9]|[3-9]\d)[^)]*\)"  # a repr
    r"|'?20(2[3-9]|[3-9]\d)-\d\d-\d\d[ T][\d:.+]*'?"  # ISO text
    r"|(?<![\d.])1[7-9]\d{14}\b"  # microseconds (not a float's digits)
)


class _Digest:
    def __init__(self) -> None:
        self.hash = hashlib.sha256()
        self.count = 0
        self.competition_id = ""

    async def __call__(self, events: Sequence[Event]) -> None:
        for event in events:
            if isinstance(event, CompetitionCreated):  # the first event, stored while `start` runs
                self.competition_id = event.competition_id
            self.hash.update(normalise(repr(event), self.competition_id).encode())
            self.count += 1


def normalise(text: str, competition_id: str) -> str:
    if competition_id:
        text = text.replace(competition_id, "CID")
    return WALL_CLOCK.sub("NOW", text)


async def replay(csv: Path, db_path: Path, rounds: int | None, writer_process: bool = True) -> tuple[_Digest, str]:
    database = Database.open(str(db_path))
    await prepare_database(database)
    digest = _Digest()
    writer = await WriterProcess(str(db_path)).start() if writer_process else None
    runner = ArenaRunner(event_pipeline(Recorder(database, writer=writer), extra=[digest]))
    feed = FeedSpec.parse(f"replay:{csv}", seed=42)
    config = CompetitionConfig(
        name="digest",
        symbols=feed.symbols or CompetitionConfig().symbols,  # as `arena run` names them
        feed=feed,
        rounds=rounds,
        speed=SpeedSpec.parse("max"),
        starting_cash=Decimal(10000),
        agents=tuple(AgentSpec(name=s, strategy=s) for s in STRATEGIES),
        seed=42,
    )
    try:
        competition = await runner.start(config)
        loop = asyncio.create_task(runner.run())
        await runner.finished.wait()
        runner.request_shutdown()
        await loop
    finally:
        if writer is not None:
            await writer.close()
        await database.close()
    return digest, competition.id


# the columns that make a standing worth a row of its own (as `arena.store.plan.BatchPlan` decides)
STANDING_KEY = ("equity", "cash", "unrealized_pnl", "trade_count", "status", "rank")


def standing_changes(connection: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """The equity rows where an agent's standing changed, and each agent's last row, by agent and round."""
    cursor = connection.execute("SELECT * FROM equity ORDER BY agent_id, round")
    names = [column[0] for column in cursor.description]
    key_at = [names.index(name) for name in STANDING_KEY]
    agent_at = names.index("agent_id")
    rows = cursor.fetchall()
    kept = []
    for i, row in enumerate(rows):
        before = rows[i - 1] if i else None
        after = rows[i + 1] if i + 1 < len(rows) else None
        changed = before is None or before[agent_at] != row[agent_at] or any(before[k] != row[k] for k in key_at)
        last = after is None or after[agent_at] != row[agent_at]
        if changed or last:
            kept.append(row)
    return kept


def rows_digest(db_path: Path, competition_id: str) -> tuple[str, dict[str, int], dict[str, str]]:
    """One SHA-256 of every stored row (equity: see the module), the row count of each table, and
    each table's own SHA-256."""
    digest, counts, tables_sha = hashlib.sha256(), {}, {}
    with sqlite3.connect(db_path) as connection:
        tables = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
            if name != "alembic_version"
        ]
        for table in tables:
            if table == "equity":
                rows = standing_changes(connection)
            else:
                rows = connection.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall()
            counts[table] = len(rows)
            own = hashlib.sha256()
            for row in rows:
                text = normalise(f"{table}{row!r}", competition_id).encode()
                digest.update(text)
                own.update(text)
            tables_sha[table] = own.hexdigest()
    return digest.hexdigest(), counts, tables_sha


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=BTC_CSV)
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--writer",
        choices=("process", "session"),
        default="process",
        help="commit through a writer process, as `arena run` does (default), or this process's own connection",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="arena-digest-") as folder:
        db_path = Path(folder) / "digest.db"
        events, competition_id = asyncio.run(replay(args.csv, db_path, args.rounds, args.writer == "process"))
        rows, counts, tables = rows_digest(db_path, competition_id)
        with sqlite3.connect(db_path) as connection:
            (equity_rows,) = connection.execute("SELECT count(*) FROM equity").fetchone()
    result = {
        "events": events.count,
        "events_sha256": events.hash.hexdigest(),
        "rows_sha256": rows,
        "rows": counts,
        "tables_sha256": tables,
        "equity_rows": equity_rows,  # all of them (not compared: see the module)
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return result


if __name__ == "__main__":
    main()

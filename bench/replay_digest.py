"""A fingerprint of a full replay: every event the engine emits and every row the store keeps.

    python -m bench.replay_digest [--rounds N] [--out digest.json]

Run it before and after a change to the engine or the store that must not change results: the
two digests are equal when every event (its repr) and every stored row is the same. What differs
between any two runs is normalised first: the competition's id (random), the entrants' ids that
embed it, and wall-clock times (the competition's creation, state changes and end, and rows'
created-at stamps: the replayed data is from 2022, the wall clock is not).
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


async def replay(csv: Path, db_path: Path, rounds: int | None) -> tuple[_Digest, str]:
    database = Database.open(str(db_path))
    await prepare_database(database)
    digest = _Digest()
    runner = ArenaRunner(event_pipeline(Recorder(database), extra=[digest]))
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
        await database.close()
    return digest, competition.id


def rows_digest(db_path: Path, competition_id: str) -> tuple[str, dict[str, int], dict[str, str]]:
    """One SHA-256 of every stored row, the row count of each table, and each table's own SHA-256."""
    digest, counts, tables_sha = hashlib.sha256(), {}, {}
    with sqlite3.connect(db_path) as connection:
        tables = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")
            if name != "alembic_version"
        ]
        for table in tables:
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
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="arena-digest-") as folder:
        db_path = Path(folder) / "digest.db"
        events, competition_id = asyncio.run(replay(args.csv, db_path, args.rounds))
        rows, counts, tables = rows_digest(db_path, competition_id)
    result = {
        "events": events.count,
        "events_sha256": events.hash.hexdigest(),
        "rows_sha256": rows,
        "rows": counts,
        "tables_sha256": tables,
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return result


if __name__ == "__main__":
    main()

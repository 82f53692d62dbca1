"""Persistence capacity: fills committed per second by the Recorder vs raw sqlite3.

    python -m bench.persist [--smoke] [--fills 100000] [--batch 500]

The Recorder gets OrderFilled events in batches (one transaction per batch, as the
runner hands them over) on a fresh SQLite file (WAL, synchronous=NORMAL, foreign keys
on: the arena's own Database). The baseline converts the same events to tuples and
inserts them with the standard library's sqlite3 `executemany`, same schema, same
pragmas, same batch transactions. (How many fills/s a fast-forward run actually
persists is in bench.fastforward; this is how many the store could take.)
"""

from __future__ import annotations

import asyncio
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.common import parse_args, ratio, table, workdir, write_result


def _extra(parser: Any) -> None:
    parser.add_argument("--fills", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=2)


def make_events(count: int) -> tuple[Any, list[Any]]:
    from arena.agents.spec import default_agents
    from arena.domain.events import OrderFilled
    from arena.domain.orders import Fill, OrderIntent, Side
    from arena.engine.competition import Competition
    from arena.engine.config import CompetitionConfig

    competition = Competition("benchpersist", CompetitionConfig(name="persist", agents=default_agents()))
    agents = [(e.info.agent_id, e.info.name) for e in competition.entrants.values()]
    start = datetime(2022, 1, 1, tzinfo=UTC)
    quantity = Decimal("0.01234567")
    fills = []
    for i in range(count):
        side = Side.BUY if i % 2 == 0 else Side.SELL
        agent_id, agent_name = agents[i % len(agents)]
        fills.append(
            OrderFilled(
                competition.id,
                Fill(
                    agent_id=agent_id,
                    agent_name=agent_name,
                    intent=OrderIntent("BTC-USD", side, quantity=quantity),
                    side=side,
                    quantity=quantity,
                    price=Decimal("46123.45678901") + i,
                    fee=Decimal("0.56942001"),
                    realized_pnl=Decimal(0) if side is Side.BUY else Decimal("-1.23456789"),
                    round=i // 4 + 1,
                    executed_at=start + timedelta(minutes=i // 4),
                    seq=i + 1,
                ),
            )
        )
    return competition.created_event("bench", "replay", "bench", start), fills


async def recorder_run(path: Path | str, created: Any, fills: list[Any], batch: int) -> float:
    """Seconds the Recorder takes to commit `fills` in batches, on an SQLite file or a database URL."""
    from arena.store.db import Database
    from arena.store.recorder import Recorder

    db = Database.open(path)
    await db.init()
    recorder = Recorder(db)
    await recorder.record([created])
    started = time.perf_counter()
    for i in range(0, len(fills), batch):
        await recorder.record(fills[i : i + batch])
    seconds = time.perf_counter() - started
    assert recorder.fills_persisted == len(fills)
    await db.close()
    return seconds


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def raw_run(path: Path, created: Any, fills: list[Any], batch: int) -> float:
    from arena.store.db import Database

    async def schema() -> None:
        db = Database.from_path(path)
        await db.init()
        await db.close()

    asyncio.run(schema())
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    micros = timedelta(microseconds=1)
    connection.execute("BEGIN")
    connection.execute(
        "INSERT INTO competition (id, name, status, config_json, feed_id, feed_kind, feed_description, starting_cash, "
        "created_at, round) VALUES (?, 'persist', 'RUNNING', '{}', ?, 'replay', 'bench', '10000', 0, 0)",
        (created.competition_id, created.feed_id),
    )
    connection.executemany(
        "INSERT INTO entrant (id, competition_id, name, strategy, kind, params_json, slot)"
        " VALUES (?, ?, ?, ?, ?, '{}', ?)",
        [(e.agent_id, created.competition_id, e.name, e.strategy, e.kind, e.slot) for e in created.entrants],
    )
    connection.execute("COMMIT")
    sql = (
        "INSERT INTO fill (competition_id, agent_id, agent_name, seq, symbol, side, requested_quantity, "
        "requested_notional, quantity, price, fee, realized_pnl, round, executed_at, client_order_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    started = time.perf_counter()
    for i in range(0, len(fills), batch):
        rows = [
            (
                e.competition_id,
                f.agent_id,
                f.agent_name,
                f.seq,
                f.symbol,
                f.side.value,
                _text(f.intent.quantity),
                _text(f.intent.notional),
                str(f.quantity),
                str(f.price),
                str(f.fee),
                str(f.realized_pnl),
                f.round,
                (f.executed_at - epoch) // micros,
                f.client_order_id,
            )
            for e in fills[i : i + batch]
            for f in (e.fill,)
        ]
        connection.execute("BEGIN")
        connection.executemany(sql, rows)
        connection.execute("COMMIT")
    seconds = time.perf_counter() - started
    count = connection.execute("SELECT count(*) FROM fill").fetchone()[0]
    connection.close()
    assert count == len(fills), count
    return seconds


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args("fills persisted per second: Recorder vs raw sqlite3", argv, _extra)
    count = 2000 if args.smoke else args.fills
    repeat = 1 if args.smoke else args.repeat
    created, fills = make_events(count)
    runs: dict[str, list[float]] = {"recorder": [], "raw sqlite3": []}
    with workdir("persist") as folder:
        for i in range(repeat):
            for kind in ("recorder", "raw sqlite3") if i % 2 == 0 else ("raw sqlite3", "recorder"):
                print(f"persist: {kind} run {i + 1}/{repeat} ...", file=sys.stderr, flush=True)
                path = folder / f"{kind.replace(' ', '-')}-{i}.db"
                if kind == "recorder":
                    runs[kind].append(asyncio.run(recorder_run(path, created, fills, args.batch)))
                else:
                    runs[kind].append(raw_run(path, created, fills, args.batch))
    best = {kind: min(seconds) for kind, seconds in runs.items()}
    rows = [
        {
            "run": kind,
            "fills": count,
            "batch": args.batch,
            "seconds": s,
            "fills_per_s": count / s,
            "ratio_to_raw": ratio(count / s, count / best["raw sqlite3"]),
            "seconds_all": runs[kind],
        }
        for kind, s in best.items()
    ]
    print(
        table(
            ["run", "fills", "batch", "seconds", "fills/s", "vs raw"],
            [[r["run"], r["fills"], r["batch"], r["seconds"], r["fills_per_s"], r["ratio_to_raw"]] for r in rows],
            title=f"\nPersistence: fills committed in batches of {args.batch}; best of {repeat}",
        )
    )
    result = {"rows": rows, "repeat": repeat}
    write_result("persist", result, args.out, args.smoke)
    return result


if __name__ == "__main__":
    main()

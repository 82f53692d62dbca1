from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from arena.domain.events import AgentKind, CompetitionStatus, OrderFilled, OrderRejected
from arena.domain.orders import OrderIntent, Rejection, Side
from arena.errors import ErrorCode
from arena.store import competitions
from arena.store import fills as fills_store
from arena.store.db import Database
from arena.store.errors import RecordError
from arena.store.recorder import Recorder
from arena.store.tables import (
    CompetitionRow,
    EntrantRow,
    EquityRow,
    FillRow,
    PriceTickRow,
    RejectionRow,
)
from tests.store.store_builders import (
    T0,
    Ledger,
    OpenDb,
    agent_id,
    created,
    finished,
    quotes,
    round_completed,
    state,
)


def _same(a: object, b: object) -> bool:
    """Equal, and for Decimals also the same digits and exponent (exact round trip)."""
    if isinstance(a, Decimal) and isinstance(b, Decimal):
        return a.as_tuple() == b.as_tuple()
    return a == b and type(a) is type(b)


async def _rows(db: Database, model: type, *order: object) -> list:  # type: ignore[type-arg]
    async with db.session() as session:
        return list((await session.exec(select(model).order_by(*order))).all())


async def _count(db: Database, table: str) -> int:
    async with db.engine.connect() as connection:
        return (await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()


async def test_every_row_round_trips_exactly_after_reopening(open_db: OpenDb) -> None:
    db = await open_db()
    recorder = Recorder(db)
    birth = created("c1")
    agents = [e.agent_id for e in birth.entrants]
    ledger = Ledger("c1", agents)
    fills = ledger.fills(25, round_=1, at=T0 + timedelta(seconds=1))
    rejection = OrderRejected(
        "c1",
        Rejection(
            agent_id=agents[1],
            agent_name="mean_reversion",
            intent=OrderIntent("ETH-USD", Side.SELL, notional=Decimal("250.00"), client_order_id="bot-7"),
            code=ErrorCode.INSUFFICIENT_POSITION,
            reason="no ETH-USD position to sell",
            round=1,
            at=T0 + timedelta(seconds=1, microseconds=7),
        ),
    )
    tick_event = quotes("c1", 1, T0 + timedelta(seconds=1))
    board = round_completed("c1", 1, T0 + timedelta(seconds=1, milliseconds=500), agents)
    await recorder.record(
        [birth, state("c1", CompetitionStatus.IDLE, CompetitionStatus.RUNNING, at=T0 + timedelta(milliseconds=3))]
    )
    await recorder.record([tick_event, *fills, rejection, board])
    assert recorder.fills_persisted == 25
    await db.close()

    db = await open_db()
    [competition] = await _rows(db, CompetitionRow)
    expected_competition = {
        "id": "c1",
        "name": birth.name,
        "status": "RUNNING",
        "feed_id": "competition:c1",
        "feed_kind": "SIMULATED",
        "feed_description": birth.feed_description,
        "starting_cash": Decimal("10000.00"),
        "created_at": T0,
        "started_at": T0 + timedelta(milliseconds=3),
        "ended_at": None,
        "round": 1,
        "winner_agent_id": None,
    }
    for name, value in expected_competition.items():
        assert _same(getattr(competition, name), value), name
    assert competition.created_at.tzinfo is not None
    assert json.loads(competition.config_json) == birth.config

    entrants = await _rows(db, EntrantRow, col(EntrantRow.slot))
    assert [(e.id, e.competition_id, e.name, e.strategy, AgentKind(e.kind), e.slot) for e in entrants] == [
        (i.agent_id, "c1", i.name, i.strategy, i.kind, i.slot) for i in birth.entrants
    ]
    assert json.loads(entrants[0].params_json) == {"window": 20, "threshold": "0.015", "symbols": ["BTC-USD"]}

    stored_fills = await _rows(db, FillRow, col(FillRow.id))
    assert len(stored_fills) == len(fills)
    for row, event in zip(stored_fills, fills, strict=True):
        fill = event.fill
        assert row.competition_id == "c1"
        for name in (
            "agent_id",
            "agent_name",
            "seq",
            "symbol",
            "quantity",
            "price",
            "fee",
            "realized_pnl",
            "round",
            "executed_at",
            "client_order_id",
        ):
            assert _same(getattr(row, name), getattr(fill, name)), name
        assert row.side == fill.side.value
        assert (row.requested_quantity, row.requested_notional) == (fill.intent.quantity, fill.intent.notional)
        assert fills_store.fill_of(row) == fill
        assert row.executed_at.tzinfo is not None

    ticks = await _rows(db, PriceTickRow, col(PriceTickRow.id))
    assert [
        (t.feed_id, t.symbol, t.price, t.volume, t.change_pct, t.timestamp, t.competition_id, t.round) for t in ticks
    ] == [
        ("competition:c1", q.symbol, q.price, q.volume, q.change_pct, q.timestamp, "c1", 1)
        for q in tick_event.batch.quotes
    ]
    assert all(_same(t.price, q.price) for t, q in zip(ticks, tick_event.batch.quotes, strict=True))

    [stored_rejection] = await _rows(db, RejectionRow)
    r = rejection.rejection
    assert (
        stored_rejection.competition_id,
        stored_rejection.agent_id,
        stored_rejection.symbol,
        stored_rejection.side,
        stored_rejection.quantity,
        stored_rejection.notional,
        stored_rejection.client_order_id,
        stored_rejection.code,
        stored_rejection.reason,
        stored_rejection.round,
        stored_rejection.at,
    ) == (
        "c1",
        r.agent_id,
        "ETH-USD",
        "SELL",
        None,
        Decimal("250.00"),
        "bot-7",
        "INSUFFICIENT_POSITION",
        r.reason,
        1,
        r.at,
    )

    equity = await _rows(db, EquityRow, col(EquityRow.rank))
    assert len(equity) == len(agents)
    for row, snap in zip(equity, board.leaderboard, strict=True):
        assert (row.competition_id, row.agent_id, row.round, row.at) == ("c1", snap.agent_id, 1, board.at)
        for name in (
            "equity",
            "cash",
            "realized_pnl",
            "unrealized_pnl",
            "return_pct",
            "trade_count",
            "win_rate",
            "scars",
            "max_drawdown",
            "sharpe",
            "profit_factor",
            "rank",
        ):
            assert _same(getattr(row, name), getattr(snap, name)), name
        assert row.status == snap.status.value


async def test_state_changes_drive_status_and_timestamps(db: Database) -> None:
    recorder = Recorder(db)
    agents = [agent_id("c1", n) for n in ("momentum", "balanced")]
    t = [T0 + timedelta(seconds=i) for i in range(6)]
    await recorder.record([created("c1", names=("momentum", "balanced"))])
    assert (await competitions.get_competition(db, "c1")).status == "IDLE"  # type: ignore[union-attr]
    await recorder.record(
        [
            state("c1", CompetitionStatus.IDLE, CompetitionStatus.RUNNING, at=t[1]),
            state("c1", CompetitionStatus.RUNNING, CompetitionStatus.PAUSED, at=t[2]),
        ]
    )
    await recorder.record(
        [
            state("c1", CompetitionStatus.PAUSED, CompetitionStatus.RUNNING, at=t[3]),
            round_completed("c1", 1, t[3], agents),
        ]
    )
    row = await competitions.get_competition(db, "c1")
    assert row is not None
    assert (row.status, row.started_at, row.ended_at, row.round) == ("RUNNING", t[1], None, 1)  # first start kept
    await recorder.record(
        [
            state("c1", CompetitionStatus.RUNNING, CompetitionStatus.FINISHED, round_=1, at=t[4]),
            finished("c1", 1, t[5], agents, CompetitionStatus.FINISHED),
        ]
    )
    row = await competitions.get_competition(db, "c1")
    assert row is not None
    assert (row.status, row.started_at, row.ended_at, row.round, row.winner_agent_id) == (
        "FINISHED",
        t[1],
        t[5],
        1,
        agents[0],
    )
    # the final leaderboard updated round 1's rows in place, keeping their timestamp
    assert [(e.agent_id, e.round, e.at) for e in await _rows(db, EquityRow, col(EquityRow.rank))] == [
        (agents[0], 1, t[3]),
        (agents[1], 1, t[3]),
    ]


async def test_created_and_started_in_one_batch(db: Database) -> None:
    await Recorder(db).record(
        [
            created("c1"),
            state("c1", CompetitionStatus.IDLE, CompetitionStatus.RUNNING, at=T0 + timedelta(seconds=1)),
            state("c1", CompetitionStatus.RUNNING, CompetitionStatus.STOPPED, at=T0 + timedelta(seconds=2)),
        ]
    )
    row = await competitions.get_competition(db, "c1")
    assert row is not None
    assert (row.status, row.started_at, row.ended_at) == (
        "STOPPED",
        T0 + timedelta(seconds=1),
        T0 + timedelta(seconds=2),
    )


async def test_every_tick_is_stored_even_repeated_ones(db: Database) -> None:
    recorder = Recorder(db)
    await recorder.record([quotes(None, None, T0), quotes(None, None, T0), quotes(None, None, T0 + timedelta(1))])
    assert await _count(db, "price_tick") == 9


async def test_fill_ids_follow_event_order(db: Database) -> None:
    birth = created("c1")
    ledger = Ledger("c1", [e.agent_id for e in birth.entrants])
    recorder = Recorder(db)
    await recorder.record([birth, *ledger.fills(30)])
    await recorder.record(ledger.fills(30))
    rows = await _rows(db, FillRow, col(FillRow.id))
    assert [r.seq for r in rows] == list(range(1, 61))


async def test_a_failing_event_leaves_nothing_of_its_batch(open_db: OpenDb) -> None:
    db = await open_db()
    recorder = Recorder(db)
    birth = created("c1")
    ledger = Ledger("c1", [e.agent_id for e in birth.entrants])
    await recorder.record([birth, *ledger.fills(5)])

    good = ledger.fills(5)
    stray = OrderFilled("no-such-competition", ledger.fills(1)[0].fill)  # violates the foreign key
    with pytest.raises(IntegrityError):
        await recorder.record(
            [
                quotes("c1", 2, T0),
                *good,
                round_completed("c1", 2, T0, ledger.agents),
                stray,
                state("c1", CompetitionStatus.IDLE, CompetitionStatus.RUNNING),
            ]
        )
    second = created("c2")
    c2_fills = Ledger("c2", [e.agent_id for e in second.entrants]).fills(3)
    replayed = OrderFilled("c1", good[0].fill)  # twice: violates (competition_id, seq) uniqueness
    with pytest.raises(IntegrityError):  # a competition created in the failing batch goes too
        await recorder.record([second, *c2_fills, replayed, replayed])
    with pytest.raises(RecordError):
        await recorder.record(
            [quotes(None, None, T0), state("ghost", CompetitionStatus.IDLE, CompetitionStatus.RUNNING)]
        )
    assert recorder.fills_persisted == 5
    await db.close()

    db = await open_db()
    assert await _count(db, "fill") == 5
    assert await _count(db, "price_tick") == 0
    assert await _count(db, "equity") == 0
    assert await _count(db, "competition") == 1
    assert await _count(db, "entrant") == len(birth.entrants)
    assert await _count(db, "rejection") == 0
    row = await competitions.get_competition(db, "c1")
    assert row is not None and (row.status, row.round) == ("IDLE", 0)


async def test_ten_thousand_fills_record_well_under_a_second(db: Database) -> None:
    birth = created("c1")
    ledger = Ledger("c1", [e.agent_id for e in birth.entrants], starting_cash=Decimal("1000000"))
    fills = ledger.fills(10_000)
    recorder = Recorder(db)
    await recorder.record([birth])
    started = time.perf_counter()
    await recorder.record(fills)
    elapsed = time.perf_counter() - started
    assert recorder.fills_persisted == 10_000
    assert await fills_store.count_fills(db, competition_id="c1") == 10_000
    assert elapsed < 1.0, f"recording 10,000 fills took {elapsed:.3f}s"


async def test_an_empty_batch_is_a_no_op(db: Database) -> None:
    recorder = Recorder(db)
    await recorder.record([])
    assert recorder.fills_persisted == 0
    assert [await _count(db, table) for table in ("competition", "price_tick", "fill", "equity")] == [0, 0, 0, 0]


async def test_stored_decimals_are_text_not_real(db: Database) -> None:
    birth = created("c1")
    await Recorder(db).record([birth, *Ledger("c1", [e.agent_id for e in birth.entrants]).fills(3)])
    typeof = "typeof" if db.is_sqlite else "pg_typeof"
    async with db.engine.connect() as connection:
        kinds = (
            await connection.execute(
                text(
                    f"SELECT DISTINCT {typeof}(price)::text, {typeof}(quantity)::text, {typeof}(executed_at)::text FROM fill"
                )
                if not db.is_sqlite
                else text("SELECT DISTINCT typeof(price), typeof(quantity), typeof(executed_at) FROM fill")
            )
        ).all()
        cash = (await connection.execute(text("SELECT starting_cash FROM competition"))).scalar_one()
    assert kinds == ([("text", "text", "integer")] if db.is_sqlite else [("text", "text", "bigint")])
    assert cash == "10000.00"
    async with db.session() as session:
        assert (await session.exec(select(func.count()).select_from(FillRow))).one() == 3

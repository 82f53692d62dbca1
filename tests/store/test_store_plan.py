"""The rows a batch plan builds in the driver's form are what the columns' own types would make."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from arena.domain.events import STANDING_FIELDS, AgentKind, AgentSnapshot, AgentStatus, QuotesReceived, RoundCompleted
from arena.domain.market import Quote, QuoteBatch
from arena.store.errors import RecordError
from arena.store.plan import EQUITY_COLUMNS, TICK_COLUMNS, BatchPlan, exact_text
from arena.store.tables import EquityRow, PriceTickRow

AT = datetime(2022, 1, 3, 12, 30, tzinfo=UTC)


def snapshot(equity: str, rank: int = 1) -> AgentSnapshot:
    return AgentSnapshot(
        "c-0",
        "momentum",
        "momentum",
        AgentKind.BUILTIN,
        AgentStatus.RESTING,
        Decimal("8123.00000001"),
        Decimal(equity),
        Decimal("-12.5"),
        Decimal("0E-8"),
        -1.25,
        7,
        0.5,
        3,
        0.0312,
        None,
        0.75,
        rank,
    )


def by_column_types(table: object, row: dict[str, object], dialect: object) -> tuple[object, ...]:
    """What SQLAlchemy's column types bind for `row` (the path every other table takes)."""
    values = []
    for name, value in row.items():
        process = table.c[name].type.bind_processor(dialect)  # type: ignore[attr-defined]
        values.append(value if process is None else process(value))
    return tuple(values)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_equity_and_tick_rows_are_what_the_columns_would_bind(dialect: object) -> None:
    plan = BatchPlan({})
    quote = Quote("BTC-USD", Decimal("46377.0"), AT, Decimal("2300413.7295"), 1.5)
    plan.add(QuotesReceived("replay:x", "c", 1, QuoteBatch(AT, (quote,))))
    standing = snapshot("9999.12345678")
    plan.add(RoundCompleted("c", 1, AT, (standing,)))
    tick_row = {
        "feed_id": "replay:x",
        "symbol": "BTC-USD",
        "price": quote.price,
        "volume": quote.volume,
        "change_pct": 1.5,
        "timestamp": AT,
        "competition_id": "c",
        "round": 1,
    }
    assert tuple(tick_row) == TICK_COLUMNS
    assert plan.ticks == [by_column_types(PriceTickRow.__table__, tick_row, dialect)]
    equity_row = {"agent_id": "c-0", "round": 1, "competition_id": "c", "at": AT}
    equity_row.update({name: getattr(standing, name) for name in EQUITY_COLUMNS[4:]})
    equity_row["status"] = "RESTING"
    assert plan.equity == {("c-0", 1): by_column_types(EquityRow.__table__, equity_row, dialect)}


def test_the_equity_columns_are_the_key_the_time_and_every_standing_field() -> None:
    assert EQUITY_COLUMNS[:4] == ("agent_id", "round", "competition_id", "at")
    assert sorted(EQUITY_COLUMNS[4:]) == sorted(STANDING_FIELDS)
    assert set(EQUITY_COLUMNS) <= set(EquityRow.__table__.columns.keys())


def test_a_round_equal_to_the_one_before_is_held_back_until_its_run_ends() -> None:
    plan = BatchPlan({})
    for round_ in (1, 2, 3):
        plan.add(RoundCompleted("c", round_, AT, (snapshot("10000"),)))
    plan.add(RoundCompleted("c", 4, AT, (snapshot("10001"),)))
    assert sorted(plan.equity) == [("c-0", 1), ("c-0", 3), ("c-0", 4)]  # 2 is inside the run 1..3


def test_a_non_finite_amount_is_refused_not_stored() -> None:
    with pytest.raises(RecordError):
        exact_text(Decimal("NaN"))
    plan = BatchPlan({})
    with pytest.raises(RecordError):
        plan.add(RoundCompleted("c", 1, AT, (snapshot("Infinity"),)))

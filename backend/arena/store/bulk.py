"""Bulk inserts at the speed of the driver: each statement compiled once, rows converted by hand.

Fast-forward runs write hundreds of thousands of tick and equity rows. SQLAlchemy's
executemany spends ~10 µs per row compiling parameters and running every column's bind
processor; here each statement is compiled once per (table, columns), every row becomes a
tuple with the same conversions (each column type's own bind processor; the two custom
types through an exact shortcut, see `_conversion`) by a converter written out once per
statement, and the tuples go to the driver's executemany in the session's transaction. Same SQL,
same values, same order.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Float, Table
from sqlmodel.ext.asyncio.session import AsyncSession

from arena.store.columns import DecimalText, UTCDateTime
from arena.store.errors import RecordError

Row = dict[str, Any]

Converter = Callable[[list[Row], dict[Any, Any]], list[tuple[Any, ...]]]

_compiled: dict[tuple[str, str, tuple[str, ...], str], tuple[str, tuple[str, ...], Converter]] = {}


async def bulk_write(session: AsyncSession, statement: Any, table: Table, batch: list[Row]) -> None:
    connection = await session.connection()
    dialect = connection.dialect
    columns = tuple(batch[0])
    key = (table.name, type(statement).__module__, columns, dialect.name)
    entry = _compiled.get(key)
    if entry is None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        names = tuple(compiled.positiontup or ())
        kinds = tuple(_conversion(table.c[n].type, dialect) for n in names)
        entry = _compiled[key] = (compiled.string, names, _row_converter(table.name, names, kinds))
    sql, names, convert = entry
    if len(names) != len(columns) or set(names) != set(columns):
        raise RecordError(f"unexpected columns for {table.name}: {columns}")
    memo: dict[Any, Any] = {}  # datetimes repeat within a batch (one per round)
    await connection.exec_driver_sql(sql, convert(batch, memo))


def _conversion(column_type: Any, dialect: Any) -> tuple[str, Any]:
    """How a column's values become driver values: (kind, the column's bind processor).

    "decimal" (DecimalText): a finite Decimal becomes str(value), exactly what its processor
    returns for one (str(Decimal(d)) == str(d)); anything else goes through the processor itself
    (so ints are converted, and bad values raise the same errors). "datetime" (UTCDateTime): the
    processor's result, memoized per batch by datetime (equal aware datetimes are the same
    instant, hence the same microseconds). "float": floats pass through unchanged (the
    processor is float()); None and others go through it. "other": the processor; "none": as is.
    """
    process = column_type.bind_processor(dialect)
    if process is None:
        return "none", None
    if isinstance(column_type, DecimalText):
        return "decimal", process
    if isinstance(column_type, UTCDateTime):
        return "datetime", process
    if isinstance(column_type, Float):
        return "float", process
    return "other", process


_EXPRESSIONS = {
    "none": "{value}",
    "decimal": "(str(v) if type(v := {value}) is Decimal and v.is_finite() else p{i}(v))",
    "datetime": "(None if (v := {value}) is None else (memo[v] if v in memo else memo.setdefault(v, p{i}(v))))",
    "float": "(v if type(v := {value}) is float else p{i}(v))",
    "other": "p{i}({value})",
}


def _row_converter(table: str, names: tuple[str, ...], kinds: tuple[tuple[str, Any], ...]) -> Converter:
    """Rows (dicts) -> parameter tuples in `names` order, written out once per statement as one
    tuple expression (as `dataclasses` writes `__init__`): the conversions of `_conversion`,
    inline, without a function call per value; tens of thousands of rows go through it per batch."""
    namespace: dict[str, Any] = {"Decimal": Decimal}
    values = []
    for i, (name, (kind, process)) in enumerate(zip(names, kinds, strict=True)):
        if process is not None:
            namespace[f"p{i}"] = process
        values.append(_EXPRESSIONS[kind].format(value=f"r[{name!r}]", i=i))
    source = f"def convert(rows, memo):\n    return [({', '.join(values)},) for r in rows]\n"
    exec(compile(source, f"<bulk rows: {table}>", "exec"), namespace)
    convert: Converter = namespace["convert"]
    return convert

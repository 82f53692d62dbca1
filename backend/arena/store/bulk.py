"""A batch's statements in the driver's terms: each compiled once, its rows converted by hand.

Fast-forward runs write hundreds of thousands of tick and equity rows. SQLAlchemy's
executemany spends ~10 µs per row compiling parameters and running every column's bind
processor; here each statement is compiled once per (table, columns, dialect), every row becomes
a tuple with the same conversions (each column type's own bind processor; the two custom types
through an exact shortcut, see `_conversion`) by a converter written out once per statement, and
the result is a `Write`: the SQL text and its parameter tuples, for the driver's own
executemany, in this process (`arena.store.recorder`) or in a writer process of its own
(`arena.store.writer`). Same SQL, same values, same order. Nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from operator import itemgetter
from typing import Any

from sqlalchemy import Float, Table

from arena.store.columns import DecimalText, UTCDateTime
from arena.store.errors import RecordError

Row = dict[str, Any]
Params = tuple[Any, ...]

Converter = Callable[[list[Row], dict[Any, Any]], list[Params]]


@dataclass(frozen=True, slots=True)
class Write:
    """One statement of a batch: run once per parameter tuple (executemany); `single`: run once,
    and it must change exactly one row (else the batch is refused with `refusal`)."""

    sql: str
    params: list[Params]
    single: bool = False
    refusal: str = ""


_converters: dict[tuple[str, str, tuple[str, ...], str], tuple[str, tuple[str, ...], Converter]] = {}
_reorders: dict[tuple[str, str, tuple[str, ...], str], tuple[str, Callable[[Any], Any] | None]] = {}
_singles: dict[tuple[Any, ...], tuple[str, tuple[Callable[[Any], Any] | None, ...], tuple[str, ...]]] = {}
# what `values_write` takes as given: columns whose values the driver gets unconverted, or
# converted the way `arena.store.plan` converts them (exact text, epoch microseconds, floats as floats)
_GIVEN = frozenset({"none", "decimal", "datetime", "float"})


def rows_write(statement: Any, table: Table, rows: list[Row], dialect: Any) -> Write:
    """Dict rows (all with the same keys), each value converted by its column's type."""
    columns = tuple(rows[0])
    key = (table.name, type(statement).__module__, columns, dialect.name)
    entry = _converters.get(key)
    if entry is None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        names = tuple(compiled.positiontup or ())
        kinds = tuple(_conversion(table.c[n].type, dialect) for n in names)
        entry = _converters[key] = (compiled.string, names, _row_converter(table.name, names, kinds))
    sql, names, convert = entry
    if len(names) != len(columns) or set(names) != set(columns):
        raise RecordError(f"unexpected columns for {table.name}: {columns}")
    memo: dict[Any, Any] = {}  # datetimes repeat within a batch (one per round)
    return Write(sql, convert(rows, memo))


def values_write(
    statement: Any, table: Table, columns: tuple[str, ...], values: Sequence[Params], dialect: Any
) -> Write:
    """Rows already in the driver's form, each a tuple in `columns` order (`arena.store.plan`
    builds them for the tables every round writes): no dict, no conversion per value."""
    key = (table.name, type(statement).__module__, columns, dialect.name)
    entry = _reorders.get(key)
    if entry is None:
        compiled = statement.compile(dialect=dialect, column_keys=list(columns))
        names = tuple(compiled.positiontup or ())
        if set(names) != set(columns) or len(names) != len(columns):
            raise RecordError(f"unexpected columns for {table.name}: {columns}")
        for name in names:
            kind = _conversion(table.c[name].type, dialect)[0]
            if kind not in _GIVEN:  # a column type whose values need its own processor: not for this path
                raise RecordError(f"{table.name}.{name} ({kind}) cannot take values in the driver's form")
        # the statement's parameter order, if it is not the columns' (one C call per row)
        reorder: Callable[[Any], Any] | None = None
        if names != columns:
            reorder = itemgetter(*(columns.index(name) for name in names))
        entry = _reorders[key] = (compiled.string, reorder)
    sql, reorder = entry
    params = values if reorder is None else [reorder(row) for row in values]
    return Write(sql, params if isinstance(params, list) else list(params))


def single_write(statement: Any, shape: tuple[Any, ...], values: dict[str, Any], dialect: Any, refusal: str) -> Write:
    """One statement whose parameters are all bind parameters named in `values`, each converted by
    its own type (a column's, or the type it was given); `shape` names the statement's form for
    the cache (the same shape must always build the same statement)."""
    key = (shape, dialect.name)
    entry = _singles.get(key)
    if entry is None:
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        processors = tuple(compiled.binds[name].type.bind_processor(dialect) for name in names)
        entry = _singles[key] = (compiled.string, processors, names)
    sql, processors, names = entry
    params = tuple(
        value if process is None or value is None else process(value)
        for process, value in zip(processors, (values[name] for name in names), strict=True)
    )
    return Write(sql, [params], single=True, refusal=refusal)


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

"""Stored price ticks: the latest per symbol of a feed, candles, and a competition's last prices."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, func, type_coerce
from sqlmodel import col, select

from arena.domain.market import Quote
from arena.errors import ArenaError, ErrorCode
from arena.store.candles import Candle, aggregate_candles
from arena.store.columns import to_micros
from arena.store.sessions import Source, session_of
from arena.store.tables import PriceTickRow


def quote_of(row: PriceTickRow) -> Quote:
    return Quote(row.symbol, row.price, row.timestamp, row.volume, row.change_pct)


async def latest_quotes(source: Source, feed_id: str) -> list[Quote]:
    """The latest tick of every symbol of a feed (by timestamp, then insertion order), sorted by symbol.

    Index seeks only (a recursive skip-scan over the feed's symbols), so the cost does not
    grow with the number of stored ticks.
    """
    tick = PriceTickRow.__table__.alias("tick")  # type: ignore[attr-defined]
    of_feed = tick.c.feed_id == feed_id
    symbols = select(func.min(tick.c.symbol).label("symbol")).where(of_feed).cte("symbols", recursive=True)
    following = select(func.min(tick.c.symbol)).where(of_feed, tick.c.symbol > symbols.c.symbol).scalar_subquery()
    symbols = symbols.union_all(select(following).where(symbols.c.symbol.is_not(None)))
    newest = (
        select(tick.c.id)
        .where(of_feed, tick.c.symbol == symbols.c.symbol)
        .order_by(tick.c.timestamp.desc(), tick.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    ids = select(newest).select_from(symbols).where(symbols.c.symbol.is_not(None))
    query = select(PriceTickRow).where(col(PriceTickRow.id).in_(ids)).order_by(col(PriceTickRow.symbol))
    async with session_of(source) as session:
        return [quote_of(row) for row in (await session.exec(query)).all()]


async def price_candles(
    source: Source, feed_id: str, symbol: str, since: datetime, until: datetime, interval_seconds: float
) -> list[Candle]:
    """Candles of a feed's `symbol` from ticks with `since <= timestamp < until`, buckets aligned to the epoch."""
    interval_micros = round(interval_seconds * 1_000_000)
    if interval_micros < 1:
        raise ArenaError(ErrorCode.INVALID_INPUT, "interval must be positive", "interval")
    if until <= since:
        return []
    raw_timestamp = type_coerce(PriceTickRow.timestamp, BigInteger)
    query = (
        select(raw_timestamp, col(PriceTickRow.price), col(PriceTickRow.volume))
        .where(
            PriceTickRow.feed_id == feed_id,
            PriceTickRow.symbol == symbol,
            raw_timestamp >= to_micros(since),
            raw_timestamp < to_micros(until),
        )
        .order_by(col(PriceTickRow.timestamp), col(PriceTickRow.id))
    )
    async with session_of(source) as session:
        rows = (await session.exec(query)).all()
    return aggregate_candles(symbol, ((micros, price, volume) for micros, price, volume in rows), interval_micros)


async def final_prices(source: Source, competition_id: str) -> dict[str, Decimal]:
    """The last price of each symbol a competition saw (what its positions are marked at)."""
    last = (
        select(PriceTickRow.symbol, func.max(PriceTickRow.id).label("last_id"))
        .where(PriceTickRow.competition_id == competition_id)
        .group_by(col(PriceTickRow.symbol))
        .subquery()
    )
    statement = select(PriceTickRow).join(last, col(PriceTickRow.id) == last.c.last_id)
    async with session_of(source) as session:
        return {t.symbol: t.price for t in (await session.exec(statement)).all()}


async def stored_ticks(
    source: Source, *, feed_id: str | None = None, competition_id: str | None = None, symbol: str | None = None
) -> AsyncIterator[PriceTickRow]:
    """Every stored tick of a feed or of the rounds a competition played, by symbol, then in time order."""
    query = select(PriceTickRow)
    if feed_id is not None:
        query = query.where(PriceTickRow.feed_id == feed_id)
    if competition_id is not None:
        query = query.where(PriceTickRow.competition_id == competition_id)
    if symbol is not None:
        query = query.where(PriceTickRow.symbol == symbol)
    query = query.order_by(col(PriceTickRow.symbol), col(PriceTickRow.timestamp), col(PriceTickRow.id))
    async with session_of(source) as session:
        async for row in await session.stream_scalars(query.execution_options(yield_per=5_000)):
            yield row

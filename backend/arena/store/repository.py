"""Reads. Every function takes a `Database` (opens its own session) or an open `AsyncSession`
(so a caller can make several reads in one session) and returns rows or small dataclasses.

Pagination is keyset-based, so pages stay stable while new rows are inserted:
competitions newest first on (created_at, id); fills on the global fill id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, ColumnElement, and_, func, or_, type_coerce, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from arena.domain.events import CompetitionStatus
from arena.errors import ArenaError, ErrorCode
from arena.store.candles import Candle, aggregate_candles
from arena.store.db import Database
from arena.store.tables import CompetitionRow, EntrantRow, EquityRow, FillRow, PriceTickRow
from arena.store.types import to_micros

Source = Database | AsyncSession

_LIVE = (CompetitionStatus.RUNNING.value, CompetitionStatus.PAUSED.value)


@asynccontextmanager
async def _session(source: Source) -> AsyncIterator[AsyncSession]:
    if isinstance(source, AsyncSession):
        yield source
    else:
        async with source.session() as session:
            yield session


def _check_limit(limit: int) -> None:
    if limit < 1:
        raise ArenaError(ErrorCode.INVALID_INPUT, "limit must be at least 1", "limit")


def _status(value: CompetitionStatus | str) -> str:
    try:
        return CompetitionStatus(value).value
    except ValueError:
        raise ArenaError(ErrorCode.INVALID_INPUT, f"unknown competition status {value!r}", "status") from None


# --- competitions -------------------------------------------------------------------


async def mark_interrupted(db: Database) -> list[str]:
    """Competitions a crash left RUNNING or PAUSED become INTERRUPTED; returns their ids (sorted)."""
    table = CompetitionRow.__table__
    async with db.session() as session, session.begin():
        result = await session.exec(
            update(table)
            .where(table.c.status.in_(_LIVE))
            .values(status=CompetitionStatus.INTERRUPTED.value)
            .returning(table.c.id)
        )
        return sorted(result.scalars().all())


async def get_competition(source: Source, competition_id: str) -> CompetitionRow | None:
    async with _session(source) as session:
        return await session.get(CompetitionRow, competition_id)


async def list_competitions(
    source: Source,
    *,
    status: CompetitionStatus | str | None = None,
    limit: int = 20,
    after_id: str | None = None,
) -> list[CompetitionRow]:
    """Newest first. `after_id` is the id of the last competition of the previous page."""
    _check_limit(limit)
    async with _session(source) as session:
        query = select(CompetitionRow)
        if status is not None:
            query = query.where(CompetitionRow.status == _status(status))
        if after_id is not None:
            cursor = await session.get(CompetitionRow, after_id)
            if cursor is None:
                raise ArenaError(ErrorCode.NOT_FOUND, f"no competition {after_id!r}", "after")
            created = col(CompetitionRow.created_at)
            query = query.where(
                or_(created < cursor.created_at, and_(created == cursor.created_at, col(CompetitionRow.id) < after_id))
            )
        query = query.order_by(col(CompetitionRow.created_at).desc(), col(CompetitionRow.id).desc()).limit(limit)
        return list((await session.exec(query)).all())


async def last_round(source: Source, competition_id: str) -> int | None:
    """The last completed round of a competition (0 before the first), None if unknown."""
    async with _session(source) as session:
        return (await session.exec(select(CompetitionRow.round).where(CompetitionRow.id == competition_id))).first()


async def list_entrants(source: Source, competition_id: str) -> list[EntrantRow]:
    async with _session(source) as session:
        query = select(EntrantRow).where(EntrantRow.competition_id == competition_id).order_by(col(EntrantRow.slot))
        return list((await session.exec(query)).all())


async def wins_by_agent_name(source: Source) -> dict[str, int]:
    """How many FINISHED competitions each entrant name has won (stopped ones do not count)."""
    async with _session(source) as session:
        query = (
            select(EntrantRow.name, func.count())
            .join(CompetitionRow, col(CompetitionRow.winner_agent_id) == col(EntrantRow.id))
            .where(CompetitionRow.status == CompetitionStatus.FINISHED.value)
            .group_by(col(EntrantRow.name))
        )
        return {name: count for name, count in (await session.exec(query)).all()}


# --- equity -----------------------------------------------------------------------


async def latest_snapshots(source: Source, competition_id: str) -> list[EquityRow]:
    """Each agent's latest equity row: the standings of a finished or interrupted competition.

    Sorted by rank; an agent whose rows stop early (it left the leaderboard) comes after
    those seen in later rounds.
    """
    async with _session(source) as session:
        latest = (
            select(EquityRow.agent_id, func.max(EquityRow.round).label("round"))
            .where(EquityRow.competition_id == competition_id)
            .group_by(col(EquityRow.agent_id))
            .subquery()
        )
        query = (
            select(EquityRow)
            .join(latest, and_(col(EquityRow.agent_id) == latest.c.agent_id, col(EquityRow.round) == latest.c.round))
            .order_by(col(EquityRow.round).desc(), col(EquityRow.rank), col(EquityRow.agent_id))
        )
        return list((await session.exec(query)).all())


async def equity_history(
    source: Source,
    agent_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
) -> list[EquityRow]:
    """An agent's equity rows with `since <= at < until`, oldest first; the latest `limit` of them."""
    _check_limit(limit)
    async with _session(source) as session:
        query = select(EquityRow).where(EquityRow.agent_id == agent_id)
        if since is not None:
            query = query.where(col(EquityRow.at) >= since)
        if until is not None:
            query = query.where(col(EquityRow.at) < until)
        query = query.order_by(col(EquityRow.round).desc()).limit(limit)
        found = list((await session.exec(query)).all())
        found.reverse()
        return found


# --- fills ------------------------------------------------------------------------


def _fill_filters(
    competition_id: str | None, agent_id: str | None, symbol: str | None
) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if competition_id is not None:
        filters.append(col(FillRow.competition_id) == competition_id)
    if agent_id is not None:
        filters.append(col(FillRow.agent_id) == agent_id)
    if symbol is not None:
        filters.append(col(FillRow.symbol) == symbol)
    return filters


async def list_fills(
    source: Source,
    *,
    competition_id: str | None = None,
    agent_id: str | None = None,
    symbol: str | None = None,
    before_id: int | None = None,
    after_id: int | None = None,
    limit: int = 50,
    newest_first: bool = True,
) -> list[FillRow]:
    """Fills with `after_id < id < before_id`, keyset-paginated on the fill id.

    The page is the `limit` fills next to the cursor given: next to `after_id` when
    only `after_id` is given (the page just newer than it), otherwise next to
    `before_id` (the page just older than it), or the newest (`newest_first`) /
    oldest fills without cursors. The page is returned newest first or oldest first.
    Walk older with `before_id=page[-1].id` (newest first), newer with
    `after_id=page[0].id`; ids never change, so pages have no gaps or duplicates.
    """
    _check_limit(limit)
    filters = _fill_filters(competition_id, agent_id, symbol)
    ascending = not newest_first
    if after_id is not None:
        filters.append(col(FillRow.id) > after_id)
        ascending = True  # anchored at after_id: the fills just newer than it
    if before_id is not None:
        filters.append(col(FillRow.id) < before_id)
        ascending = False  # anchored at before_id: the fills just older than it
    order = col(FillRow.id).asc() if ascending else col(FillRow.id).desc()
    async with _session(source) as session:
        found = list((await session.exec(select(FillRow).where(*filters).order_by(order).limit(limit))).all())
    if ascending == newest_first:
        found.reverse()
    return found


async def count_fills(
    source: Source,
    *,
    competition_id: str | None = None,
    agent_id: str | None = None,
    symbol: str | None = None,
) -> int:
    async with _session(source) as session:
        query = select(func.count()).select_from(FillRow).where(*_fill_filters(competition_id, agent_id, symbol))
        return (await session.exec(query)).one()


# --- prices -----------------------------------------------------------------------


async def latest_prices(source: Source) -> list[PriceTickRow]:
    """The latest tick of every symbol (by timestamp, then insertion order), sorted by symbol.

    Index seeks only (a recursive skip-scan over the symbols), so the cost does not
    grow with the number of stored ticks.
    """
    tick = PriceTickRow.__table__.alias("tick")
    symbols = select(func.min(tick.c.symbol).label("symbol")).cte("symbols", recursive=True)
    following = select(func.min(tick.c.symbol)).where(tick.c.symbol > symbols.c.symbol).scalar_subquery()
    symbols = symbols.union_all(select(following).where(symbols.c.symbol.is_not(None)))
    newest = (
        select(tick.c.id)
        .where(tick.c.symbol == symbols.c.symbol)
        .order_by(tick.c.timestamp.desc(), tick.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    ids = select(newest).select_from(symbols).where(symbols.c.symbol.is_not(None))
    query = select(PriceTickRow).where(col(PriceTickRow.id).in_(ids)).order_by(col(PriceTickRow.symbol))
    async with _session(source) as session:
        return list((await session.exec(query)).all())


async def price_candles(
    source: Source, symbol: str, since: datetime, until: datetime, interval_seconds: float
) -> list[Candle]:
    """Candles of `symbol` from ticks with `since <= timestamp < until`, buckets aligned to the epoch."""
    interval_micros = round(interval_seconds * 1_000_000)
    if interval_micros < 1:
        raise ArenaError(ErrorCode.INVALID_INPUT, "interval must be positive", "interval")
    if until <= since:
        return []
    raw_timestamp = type_coerce(PriceTickRow.timestamp, BigInteger)
    query = (
        select(raw_timestamp, PriceTickRow.price, PriceTickRow.volume)
        .where(
            PriceTickRow.symbol == symbol,
            raw_timestamp >= to_micros(since),
            raw_timestamp < to_micros(until),
        )
        .order_by(col(PriceTickRow.timestamp), col(PriceTickRow.id))
    )
    async with _session(source) as session:
        rows = (await session.exec(query)).all()
    return aggregate_candles(symbol, ((micros, price, volume) for micros, price, volume in rows), interval_micros)


async def get_fill(source: Source, competition_id: str, seq: int) -> FillRow | None:
    """One fill by its competition and sequence number (its stable identity)."""
    statement = select(FillRow).where(FillRow.competition_id == competition_id, FillRow.seq == seq)
    async with _session(source) as session:
        return (await session.exec(statement)).first()


async def final_prices(source: Source, competition_id: str) -> dict[str, Decimal]:
    """The last price of each symbol a competition saw (what its positions are marked at)."""
    last = (
        select(PriceTickRow.symbol, func.max(PriceTickRow.id).label("last_id"))
        .where(PriceTickRow.competition_id == competition_id)
        .group_by(PriceTickRow.symbol)
        .subquery()
    )
    statement = select(PriceTickRow).join(last, PriceTickRow.id == last.c.last_id)
    async with _session(source) as session:
        return {t.symbol: t.price for t in (await session.exec(statement)).all()}

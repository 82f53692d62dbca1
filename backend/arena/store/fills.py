"""Fills in the store: keyset pages on the global fill id, counts, and fills as domain values."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from arena.domain.orders import Fill, OrderIntent, Side
from arena.store.sessions import Source, check_limit, session_of
from arena.store.tables import FillRow

_STREAM_CHUNK = 5_000


def fill_of(row: FillRow) -> Fill:
    intent = OrderIntent(
        row.symbol,
        Side(row.side),
        quantity=row.requested_quantity,
        notional=row.requested_notional,
        client_order_id=row.client_order_id,
    )
    return Fill(
        agent_id=row.agent_id,
        agent_name=row.agent_name,
        intent=intent,
        side=Side(row.side),
        quantity=row.quantity,
        price=row.price,
        fee=row.fee,
        realized_pnl=row.realized_pnl,
        round=row.round,
        executed_at=row.executed_at,
        seq=row.seq,
    )


def _filters(
    competition_id: str | None, agent_id: str | None, symbol: str | None, side: Side | None
) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if side is not None:
        filters.append(col(FillRow.side) == side.value)
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
    side: Side | None = None,
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
    check_limit(limit)
    filters = _filters(competition_id, agent_id, symbol, side)
    ascending = not newest_first
    if after_id is not None:
        filters.append(col(FillRow.id) > after_id)
        ascending = True  # anchored at after_id: the fills just newer than it
    if before_id is not None:
        filters.append(col(FillRow.id) < before_id)
        ascending = False  # anchored at before_id: the fills just older than it
    order = col(FillRow.id).asc() if ascending else col(FillRow.id).desc()
    async with session_of(source) as session:
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
    side: Side | None = None,
) -> int:
    async with session_of(source) as session:
        query = select(func.count()).select_from(FillRow).where(*_filters(competition_id, agent_id, symbol, side))
        return (await session.exec(query)).one()


async def last_fill_seq(source: Source, competition_id: str) -> int:
    """The seq of a competition's last stored fill (0 before its first)."""
    async with session_of(source) as session:
        query = select(func.max(FillRow.seq)).where(FillRow.competition_id == competition_id)
        return int((await session.exec(query)).one() or 0)


async def get_fill(source: Source, competition_id: str, seq: int) -> FillRow | None:
    """One fill by its competition and sequence number (its stable identity)."""
    statement = select(FillRow).where(FillRow.competition_id == competition_id, FillRow.seq == seq)
    async with session_of(source) as session:
        return (await session.exec(statement)).first()


async def fill_by_client_order_id(source: Source, agent_id: str, client_order_id: str) -> Fill | None:
    """The fill an agent's order with this client order id became, if any (agent ids are unique)."""
    statement = select(FillRow).where(FillRow.agent_id == agent_id, FillRow.client_order_id == client_order_id)
    async with session_of(source) as session:
        row = (await session.exec(statement.limit(1))).first()
    return None if row is None else fill_of(row)


async def competition_fills(
    source: Source, competition_id: str, *, after_seq: int = 0, through_seq: int | None = None
) -> list[Fill]:
    """Every fill of a competition in sequence order (what recovery replays against), or those with
    `after_seq < seq <= through_seq`."""
    statement = select(FillRow).where(FillRow.competition_id == competition_id)
    if after_seq:
        statement = statement.where(col(FillRow.seq) > after_seq)
    if through_seq is not None:
        statement = statement.where(col(FillRow.seq) <= through_seq)
    statement = statement.order_by(col(FillRow.seq)).execution_options(yield_per=_STREAM_CHUNK)
    async with session_of(source) as session:
        return [fill_of(row) async for row in await session.stream_scalars(statement)]


async def newest_fills_of(source: Source, agent_ids: Sequence[str], limit: int) -> dict[str, list[FillRow]]:
    """Each agent's `limit` newest fills, newest first, for many agents in one statement."""
    check_limit(limit)
    if not agent_ids:
        return {}
    newest = func.row_number().over(partition_by=col(FillRow.agent_id), order_by=col(FillRow.id).desc())
    numbered = select(FillRow, newest.label("newest")).where(col(FillRow.agent_id).in_(agent_ids)).subquery()
    fill = aliased(FillRow, numbered)
    query = select(fill).where(numbered.c.newest <= limit).order_by(numbered.c.agent_id, numbered.c.id.desc())
    found: dict[str, list[FillRow]] = {agent_id: [] for agent_id in agent_ids}
    async with session_of(source) as session:
        for row in (await session.exec(query)).all():
            found[row.agent_id].append(row)
    return found


async def fill_counts_of(source: Source, agent_ids: Sequence[str]) -> dict[str, int]:
    """How many fills each agent has, for many agents in one statement."""
    if not agent_ids:
        return {}
    query = (
        select(col(FillRow.agent_id), func.count())
        .where(col(FillRow.agent_id).in_(agent_ids))
        .group_by(col(FillRow.agent_id))
    )
    async with session_of(source) as session:
        counted = dict((await session.exec(query)).all())
    return {agent_id: counted.get(agent_id, 0) for agent_id in agent_ids}

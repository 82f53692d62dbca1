"""Competitions in the store: reads, newest first with keyset paging, and marking crashed ones.

Pagination is keyset-based on (created_at, id), so pages stay stable while new rows are inserted.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, or_, update
from sqlmodel import col, select

from arena.domain.events import CompetitionStatus
from arena.errors import ArenaError, ErrorCode
from arena.store.db import Database
from arena.store.sessions import Source, check_limit, session_of
from arena.store.tables import CompetitionRow

_LIVE = (CompetitionStatus.RUNNING.value, CompetitionStatus.PAUSED.value)


def _status(value: CompetitionStatus | str) -> str:
    try:
        return CompetitionStatus(value).value
    except ValueError:
        raise ArenaError(ErrorCode.INVALID_INPUT, f"unknown competition status {value!r}", "status") from None


async def mark_interrupted(db: Database) -> list[str]:
    """Competitions a crash left RUNNING or PAUSED become INTERRUPTED; returns their ids (sorted)."""
    return sorted(await interrupt_live(db))


async def interrupt_live(db: Database) -> dict[str, CompetitionStatus]:
    """Mark the competitions a crash left RUNNING or PAUSED as INTERRUPTED; returns what each was.

    The one write outside the recorder: it runs at start (or at an engine's takeover), before the
    runner records anything.
    """
    table = CompetitionRow.__table__  # type: ignore[attr-defined]
    async with db.session() as session, session.begin():
        found = await session.exec(
            select(table.c.id, table.c.status).where(table.c.status.in_(_LIVE)).with_for_update()
        )
        live = {competition_id: CompetitionStatus(status) for competition_id, status in found}
        if live:
            await session.exec(
                update(table).where(table.c.id.in_(live)).values(status=CompetitionStatus.INTERRUPTED.value)
            )
        return live


async def get_competition(source: Source, competition_id: str) -> CompetitionRow | None:
    async with session_of(source) as session:
        return await session.get(CompetitionRow, competition_id)


async def get_competitions(source: Source, competition_ids: Sequence[str]) -> dict[str, CompetitionRow]:
    """The known ones of `competition_ids`, in one statement."""
    if not competition_ids:
        return {}
    async with session_of(source) as session:
        rows = (await session.exec(select(CompetitionRow).where(col(CompetitionRow.id).in_(competition_ids)))).all()
    return {row.id: row for row in rows}


async def list_competitions(
    source: Source,
    *,
    status: CompetitionStatus | str | None = None,
    limit: int = 20,
    after_id: str | None = None,
) -> list[CompetitionRow]:
    """Newest first. `after_id` is the id of the last competition of the previous page."""
    check_limit(limit)
    async with session_of(source) as session:
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

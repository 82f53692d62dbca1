"""Entrants (the agents of a competition) in the store, read back as domain `EntrantInfo`."""

from __future__ import annotations

import json

from sqlalchemy import func
from sqlmodel import col, select

from arena.domain.events import AgentKind, CompetitionStatus, EntrantInfo
from arena.store.sessions import Source, session_of
from arena.store.tables import CompetitionRow, EntrantRow


def entrant_info(row: EntrantRow) -> EntrantInfo:
    return EntrantInfo(
        agent_id=row.id,
        name=row.name,
        strategy=row.strategy,
        kind=AgentKind(row.kind),
        params=json.loads(row.params_json),
        slot=row.slot,
    )


async def list_entrants(source: Source, competition_id: str) -> list[EntrantInfo]:
    """A competition's entrants in entry order."""
    async with session_of(source) as session:
        query = select(EntrantRow).where(EntrantRow.competition_id == competition_id).order_by(col(EntrantRow.slot))
        return [entrant_info(row) for row in (await session.exec(query)).all()]


async def get_entrant(source: Source, agent_id: str) -> tuple[str, EntrantInfo] | None:
    """(competition id, entrant) of an agent id, or None."""
    async with session_of(source) as session:
        row = await session.get(EntrantRow, agent_id)
    return None if row is None else (row.competition_id, entrant_info(row))


async def wins_by_agent_name(source: Source) -> dict[str, int]:
    """How many FINISHED competitions each entrant name has won (stopped ones do not count)."""
    async with session_of(source) as session:
        query = (
            select(EntrantRow.name, func.count())
            .join(CompetitionRow, col(CompetitionRow.winner_agent_id) == col(EntrantRow.id))
            .where(CompetitionRow.status == CompetitionStatus.FINISHED.value)
            .group_by(col(EntrantRow.name))
        )
        return dict((await session.exec(query)).all())

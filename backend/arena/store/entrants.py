"""Entrants (the agents of a competition) in the store, read back as domain `EntrantInfo`."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import col, select

from arena.agents.spec import BOT_ID_PARAM
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


async def entrants_of(source: Source, competition_ids: Sequence[str]) -> dict[str, list[EntrantInfo]]:
    """`list_entrants` of several competitions in one statement."""
    if not competition_ids:
        return {}
    query = (
        select(EntrantRow)
        .where(col(EntrantRow.competition_id).in_(competition_ids))
        .order_by(col(EntrantRow.competition_id), col(EntrantRow.slot))
    )
    found: dict[str, list[EntrantInfo]] = {}
    async with session_of(source) as session:
        for row in (await session.exec(query)).all():
            found.setdefault(row.competition_id, []).append(entrant_info(row))
    return found


async def get_entrants(source: Source, agent_ids: Sequence[str]) -> dict[str, tuple[str, EntrantInfo]]:
    """(competition id, entrant) of each known agent id, in one statement."""
    if not agent_ids:
        return {}
    async with session_of(source) as session:
        rows = (await session.exec(select(EntrantRow).where(col(EntrantRow.id).in_(agent_ids)))).all()
    return {row.id: (row.competition_id, entrant_info(row)) for row in rows}


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


async def bot_entrant(source: Source, bot_id: str, competition_id: str | None = None) -> tuple[str, str] | None:
    """(competition id, agent id) of a bot's entrant in `competition_id`, or, when None, in the newest
    competition that is running or paused: what an API replica knows of a bot from the store."""
    live = (CompetitionStatus.RUNNING.value, CompetitionStatus.PAUSED.value)
    query = (
        select(EntrantRow)
        .join(CompetitionRow, col(CompetitionRow.id) == col(EntrantRow.competition_id))
        .where(EntrantRow.kind == AgentKind.BOT.value)
        .order_by(col(CompetitionRow.created_at).desc())
    )
    if competition_id is not None:
        query = query.where(EntrantRow.competition_id == competition_id)
    else:
        query = query.where(col(CompetitionRow.status).in_(live))
    async with session_of(source) as session:
        for row in (await session.exec(query)).all():
            if json.loads(row.params_json).get(BOT_ID_PARAM) == bot_id:
                return row.competition_id, row.id
    return None

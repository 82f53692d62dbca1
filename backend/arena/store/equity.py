"""Equity rows: each agent's standing after each round, read back as domain `AgentSnapshot`s."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import and_, func
from sqlmodel import col, select

from arena.domain.events import STANDING_FIELDS, AgentKind, AgentSnapshot, AgentStatus
from arena.store.sessions import Source, check_limit, session_of
from arena.store.tables import EntrantRow, EquityRow


def snapshot_of(row: EquityRow, entrant: EntrantRow) -> AgentSnapshot:
    values = {name: getattr(row, name) for name in STANDING_FIELDS}
    values["status"] = AgentStatus(row.status)
    return AgentSnapshot(
        agent_id=entrant.id, name=entrant.name, strategy=entrant.strategy, kind=AgentKind(entrant.kind), **values
    )


async def latest_standings(source: Source, competition_id: str) -> list[AgentSnapshot]:
    """Each agent's latest standing: those of a finished or interrupted competition.

    Sorted by rank; an agent whose rows stop early (it left the leaderboard) comes after
    those seen in later rounds. Agents with no row yet (before round 1) are not included.
    """
    return (await latest_standings_of(source, [competition_id])).get(competition_id, [])


async def latest_standings_of(source: Source, competition_ids: Sequence[str]) -> dict[str, list[AgentSnapshot]]:
    """`latest_standings` of several competitions in one statement."""
    if not competition_ids:
        return {}
    async with session_of(source) as session:
        latest = (
            select(EquityRow.agent_id, func.max(EquityRow.round).label("round"))
            .where(col(EquityRow.competition_id).in_(competition_ids))
            .group_by(col(EquityRow.agent_id))
            .subquery()
        )
        query = (
            select(EquityRow, EntrantRow)
            .join(latest, and_(col(EquityRow.agent_id) == latest.c.agent_id, col(EquityRow.round) == latest.c.round))
            .join(EntrantRow, col(EntrantRow.id) == col(EquityRow.agent_id))
            .order_by(col(EquityRow.round).desc(), col(EquityRow.rank), col(EquityRow.agent_id))
        )
        found: dict[str, list[AgentSnapshot]] = {}
        for row, entrant in (await session.exec(query)).all():
            found.setdefault(row.competition_id, []).append(snapshot_of(row, entrant))
        return found


async def equity_series(source: Source, competition_id: str) -> dict[str, list[Decimal]]:
    """Each agent's recorded equity, round by round (what rebuilds its drawdown and Sharpe).

    A round with no row of its own (held back by the recorder as equal to the round before) has
    the equity of the agent's row before it."""
    query = (
        select(col(EquityRow.agent_id), col(EquityRow.round), col(EquityRow.equity))
        .where(EquityRow.competition_id == competition_id)
        .order_by(col(EquityRow.round), col(EquityRow.agent_id))
    )
    series: dict[str, list[Decimal]] = {}
    last_round: dict[str, int] = {}
    async with session_of(source) as session:
        for agent_id, round_, value in (await session.exec(query)).all():
            values = series.setdefault(agent_id, [])
            if values:
                values.extend([values[-1]] * (round_ - last_round[agent_id] - 1))
            values.append(value)
            last_round[agent_id] = round_
    return series


async def equity_history(
    source: Source,
    agent_id: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 1000,
) -> list[EquityRow]:
    """An agent's equity rows with `since <= at < until`, oldest first; the latest `limit` of them.

    Rows are stored where the standing changed (see `arena.store.recorder`): a run of equal
    rounds keeps its first and last row, so the line through these rows, by round, is the curve
    of every round."""
    check_limit(limit)
    async with session_of(source) as session:
        query = select(EquityRow).where(EquityRow.agent_id == agent_id)
        if since is not None:
            query = query.where(col(EquityRow.at) >= since)
        if until is not None:
            query = query.where(col(EquityRow.at) < until)
        query = query.order_by(col(EquityRow.round).desc()).limit(limit)
        found = list((await session.exec(query)).all())
        found.reverse()
        return found


async def round_time(source: Source, competition_id: str, round_: int) -> datetime | None:
    """The feed time of a competition's stored round (None before it is stored)."""
    query = select(EquityRow.at).where(EquityRow.competition_id == competition_id, EquityRow.round == round_).limit(1)
    async with session_of(source) as session:
        return (await session.exec(query)).first()

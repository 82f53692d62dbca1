"""Model agents' decisions in the store: newest-first keyset pages, and decisions as domain values."""

from __future__ import annotations

import json

from sqlalchemy import ColumnElement, func
from sqlmodel import col, select

from arena.domain.decisions import Decision, DecisionOrder, DecisionStatus, ModelAnswer, SymbolAction
from arena.store.sessions import Source, check_limit, session_of
from arena.store.tables import DecisionRow


def decision_of(row: DecisionRow) -> Decision:
    answer = ModelAnswer(
        agent_id=row.agent_id,
        asked_round=row.asked_round,
        asked_at=row.asked_at,
        answered_at=row.answered_at,
        model=row.model,
        prompt=row.prompt,
        response=row.response,
        actions=tuple(SymbolAction.from_dict(a) for a in json.loads(row.actions_json)),
        error=row.error,
        late=row.status == "LATE",
        prompt_tokens=row.prompt_tokens,
        completion_tokens=row.completion_tokens,
        attempts=row.attempts,
    )
    orders = tuple(DecisionOrder.from_dict(o) for o in json.loads(row.orders_json))
    return Decision(
        row.competition_id,
        row.agent_id,
        row.agent_name,
        row.seq,
        row.round,
        row.at,
        answer,
        orders,
        DecisionStatus(row.status),
    )


def _filters(competition_id: str | None, agent_id: str | None) -> list[ColumnElement[bool]]:
    filters: list[ColumnElement[bool]] = []
    if competition_id is not None:
        filters.append(col(DecisionRow.competition_id) == competition_id)
    if agent_id is not None:
        filters.append(col(DecisionRow.agent_id) == agent_id)
    return filters


async def list_decisions(
    source: Source,
    *,
    competition_id: str | None = None,
    agent_id: str | None = None,
    before_id: int | None = None,
    limit: int = 20,
) -> list[DecisionRow]:
    """The newest decisions older than `before_id` (all, without it), newest first."""
    check_limit(limit)
    filters = _filters(competition_id, agent_id)
    if before_id is not None:
        filters.append(col(DecisionRow.id) < before_id)
    statement = select(DecisionRow).where(*filters).order_by(col(DecisionRow.id).desc()).limit(limit)
    async with session_of(source) as session:
        return list((await session.exec(statement)).all())


async def count_decisions(source: Source, *, competition_id: str | None = None, agent_id: str | None = None) -> int:
    statement = select(func.count()).select_from(DecisionRow).where(*_filters(competition_id, agent_id))
    async with session_of(source) as session:
        return (await session.exec(statement)).one()


async def get_decision(source: Source, competition_id: str, seq: int) -> Decision | None:
    """One decision by its competition and sequence number (its stable identity)."""
    statement = select(DecisionRow).where(DecisionRow.competition_id == competition_id, DecisionRow.seq == seq)
    async with session_of(source) as session:
        row = (await session.exec(statement)).first()
    return None if row is None else decision_of(row)


async def competition_decisions(source: Source, competition_id: str) -> list[Decision]:
    """Every decision of a competition in sequence order (what a resume executes again)."""
    statement = select(DecisionRow).where(DecisionRow.competition_id == competition_id).order_by(col(DecisionRow.seq))
    async with session_of(source) as session:
        return [decision_of(row) for row in (await session.exec(statement)).all()]

"""Alert rules, fired alerts and the delivery outbox in the store."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from arena.store.db import Database
from arena.store.sessions import check_limit
from arena.store.tables import AlertDeliveryRow, AlertFiredRow, AlertRuleRow

PENDING, DELIVERED, FAILED = "PENDING", "DELIVERED", "FAILED"
WEBHOOK, APPRISE = "WEBHOOK", "APPRISE"


@dataclass(frozen=True, slots=True)
class NewAlert:
    """An alert to store: what fired, and the channels (channel, target URL) it goes to."""

    alert_id: str
    kind: str
    message: str
    payload: dict[str, Any]
    at: datetime
    targets: tuple[tuple[str, str], ...]


async def save_rule(db: Database, row: AlertRuleRow, targets: Sequence[str] | None = None) -> None:
    """Stores the rule; with `targets` (its URLs now), pending deliveries to any other URL are
    given up: a changed webhook must not still receive what fired for the old one."""
    async with db.session() as session, session.begin():
        await session.merge(row)
        if targets is not None:
            await _give_up_pending(session, row.id, "the rule's target changed", keep=targets)


async def delete_rule(db: Database, rule_id: str) -> bool:
    """Deletes the rule and gives up its pending deliveries; its history stays."""
    async with db.session() as session, session.begin():
        row = await session.get(AlertRuleRow, rule_id)
        if row is None:
            return False
        await session.delete(row)
        await _give_up_pending(session, rule_id, "the rule was deleted")
    return True


async def _give_up_pending(session: AsyncSession, rule_id: str, reason: str, keep: Sequence[str] = ()) -> None:
    filters = [col(AlertDeliveryRow.alert_id) == rule_id, col(AlertDeliveryRow.status) == PENDING]
    if keep:
        filters.append(col(AlertDeliveryRow.target).not_in(keep))
    await session.exec(update(AlertDeliveryRow).where(*filters).values(status=FAILED, last_error=reason))


async def list_rules(db: Database) -> list[AlertRuleRow]:
    async with db.session() as session:
        return list((await session.exec(select(AlertRuleRow).order_by(col(AlertRuleRow.created_at)))).all())


async def get_rule(db: Database, rule_id: str) -> AlertRuleRow | None:
    async with db.session() as session:
        return await session.get(AlertRuleRow, rule_id)


async def write_alerts(session: AsyncSession, alerts: Sequence[NewAlert], now: datetime) -> list[AlertFiredRow]:
    """The fired alerts and their outbox rows, in the caller's transaction."""
    fired_rows: list[AlertFiredRow] = []
    for alert in alerts:
        fired = AlertFiredRow(
            alert_id=alert.alert_id,
            kind=alert.kind,
            message=alert.message,
            payload_json=json.dumps(alert.payload, separators=(",", ":")),
            at=alert.at,
        )
        session.add(fired)
        fired_rows.append(fired)
    if not fired_rows:
        return fired_rows
    await session.flush()  # the fired ids, for the deliveries
    for alert, fired in zip(alerts, fired_rows, strict=True):
        assert fired.id is not None
        for n, (channel, target) in enumerate(alert.targets):
            session.add(
                AlertDeliveryRow(
                    id=f"d{fired.id:012d}{n:02d}-{uuid.uuid4().hex[:8]}",  # sorts by fired alert
                    fired_id=fired.id,
                    alert_id=alert.alert_id,
                    channel=channel,
                    target=target,
                    status=PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
    return fired_rows


async def due_deliveries(db: Database, now: datetime, limit: int = 20) -> list[tuple[AlertDeliveryRow, AlertFiredRow]]:
    query = (
        select(AlertDeliveryRow, AlertFiredRow)
        .join(AlertFiredRow, col(AlertFiredRow.id) == col(AlertDeliveryRow.fired_id))
        .where(AlertDeliveryRow.status == PENDING, col(AlertDeliveryRow.next_attempt_at) <= now)
        .order_by(col(AlertDeliveryRow.next_attempt_at), col(AlertDeliveryRow.id))
        .limit(limit)
    )
    async with db.session() as session:
        return [(d, f) for d, f in (await session.exec(query)).all()]


async def next_attempt_at(db: Database) -> datetime | None:
    query = select(func.min(AlertDeliveryRow.next_attempt_at)).where(AlertDeliveryRow.status == PENDING)
    async with db.session() as session:
        found: datetime | None = (await session.exec(query)).one()
    return found


async def pending_count(db: Database) -> int:
    query = select(func.count()).select_from(AlertDeliveryRow).where(AlertDeliveryRow.status == PENDING)
    async with db.session() as session:
        return int((await session.exec(query)).one())


async def save_delivery(db: Database, row: AlertDeliveryRow) -> bool:
    """Stores an attempt's outcome if the delivery is still pending; False when a rule deleted or
    changed meanwhile gave it up (that stays) — unless the attempt got through: what was
    delivered is logged as delivered, given up or not."""
    values = {
        "status": row.status,
        "attempts": row.attempts,
        "next_attempt_at": row.next_attempt_at,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "delivered_at": row.delivered_at,
    }
    still_open = col(AlertDeliveryRow.status) == PENDING
    if row.status == DELIVERED:
        still_open = still_open | (col(AlertDeliveryRow.delivered_at).is_(None))
    query = update(AlertDeliveryRow).where(col(AlertDeliveryRow.id) == row.id, still_open)
    async with db.session() as session, session.begin():
        result = await session.exec(query.values(**values))
    return bool(result.rowcount)


async def list_deliveries(
    db: Database, alert_id: str, *, before_id: str | None = None, limit: int = 20
) -> list[tuple[AlertDeliveryRow, AlertFiredRow]]:
    """A rule's deliveries, newest first, keyset-paginated on the delivery id (which sorts by alert)."""
    check_limit(limit)
    filters: list[ColumnElement[bool]] = [col(AlertDeliveryRow.alert_id) == alert_id]
    if before_id is not None:
        filters.append(col(AlertDeliveryRow.id) < before_id)
    query = (
        select(AlertDeliveryRow, AlertFiredRow)
        .join(AlertFiredRow, col(AlertFiredRow.id) == col(AlertDeliveryRow.fired_id))
        .where(*filters)
        .order_by(col(AlertDeliveryRow.id).desc())
        .limit(limit)
    )
    async with db.session() as session:
        return [(d, f) for d, f in (await session.exec(query)).all()]


async def list_fired(
    db: Database, alert_id: str | None = None, *, before_id: int | None = None, limit: int = 20
) -> list[AlertFiredRow]:
    """Fired alerts, newest first, keyset-paginated on their id; of one rule or of all."""
    check_limit(limit)
    filters: list[ColumnElement[bool]] = []
    if alert_id is not None:
        filters.append(col(AlertFiredRow.alert_id) == alert_id)
    if before_id is not None:
        filters.append(col(AlertFiredRow.id) < before_id)
    query = select(AlertFiredRow).where(*filters).order_by(col(AlertFiredRow.id).desc()).limit(limit)
    async with db.session() as session:
        return list((await session.exec(query)).all())


async def fired_count(db: Database, alert_id: str | None = None) -> int:
    query = select(func.count()).select_from(AlertFiredRow)
    if alert_id is not None:
        query = query.where(AlertFiredRow.alert_id == alert_id)
    async with db.session() as session:
        return int((await session.exec(query)).one())

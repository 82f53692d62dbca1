"""Alert rules over GraphQL (operator): create, update, delete, list, their deliveries; the live
`alerts` subscription."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from typing import Any

import strawberry
from strawberry.scalars import JSON
from strawberry.types import Info

from arena.alerts.rules import AlertKind, AlertRule
from arena.alerts.service import AlertFired, AlertService
from arena.alerts.webhooks import WebhookFormat
from arena.api.arguments import page_size
from arena.api.context import Context
from arena.api.ids import decode_cursor, encode_cursor, from_global_id, to_global_id
from arena.api.pages import page_info
from arena.api.streams import open_feed
from arena.api.types.alerts import (
    Alert,
    AlertDelivery,
    AlertDeliveryConnection,
    AlertDeliveryEdge,
    AlertEvent,
    CreateAlertInput,
    CreateAlertPayload,
    DeleteAlertPayload,
    FiredAlert,
    FiredAlertConnection,
    FiredAlertEdge,
    UpdateAlertInput,
    UpdateAlertPayload,
    redacted,
)
from arena.api.types.common import UserError
from arena.broker.topics import ALERTS
from arena.cluster import codec
from arena.errors import ArenaError, ErrorCode
from arena.store import alerts as alert_store

_FIELDS = (
    "symbol",
    "agent_id",
    "threshold",
    "percent",
    "window_seconds",
    "min_notional",
    "webhook_url",
    "webhook_format",
    "apprise_urls",
    "cooldown_seconds",
)


def _service(info: Info[Context, None]) -> AlertService:
    info.context.require_operator()
    service = info.context.state.alerts
    if service is None:
        raise ArenaError(ErrorCode.INTERNAL, "alerts are not running on this server")
    return service


def _values(given: Any, *, partial: bool) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in _FIELDS:
        value = getattr(given, name)
        if partial and value is strawberry.UNSET:
            continue
        if name == "agent_id" and value is not None:
            value = str(value)
        elif name == "apprise_urls":
            value = tuple(url.strip() for url in value or ())
        elif name == "webhook_url" and isinstance(value, str):
            value = value.strip() or None
        elif name == "webhook_format":
            value = WebhookFormat(value.value if hasattr(value, "value") else value or WebhookFormat.GENERIC)
        elif name == "cooldown_seconds" and value is None:
            value = 0
        elif name == "symbol" and isinstance(value, str):
            value = value.strip().upper()
        values[name] = value
    return values


async def _on_engine(info: Info[Context, None], op: str, args: dict[str, Any]) -> AlertRule | None:
    """An alert change made on the engine, whose evaluator holds the rules (this is an API replica)."""
    client = info.context.state.engine_client
    assert client is not None
    reply = await client.call(op, {key: codec.encode(value) for key, value in args.items()})
    if reply["errors"]:
        error = reply["errors"][0]
        raise ArenaError(ErrorCode(error["code"]), error["message"], error["field"])
    rule: AlertRule | None = codec.decode(reply["rule"]) if reply.get("rule") else None
    return rule


async def create_alert(info: Info[Context, None], input: CreateAlertInput) -> CreateAlertPayload:
    service = _service(info)
    try:
        values = {"kind": input.kind, **_values(input, partial=False)}
        if info.context.state.engine_client is None:
            rule = await service.create(values)
        else:
            made = await _on_engine(info, "alert_create", {"values": values})
            assert made is not None
            rule = made
    except ArenaError as error:
        return CreateAlertPayload(alert=None, secret=None, user_errors=[UserError.of(error)])
    return CreateAlertPayload(alert=Alert.of(rule), secret=rule.secret, user_errors=[])


async def update_alert(info: Info[Context, None], id: strawberry.ID, input: UpdateAlertInput) -> UpdateAlertPayload:
    service = _service(info)
    try:
        changes = _values(input, partial=True)
        if info.context.state.engine_client is None:
            rule = await service.update(str(id), changes)
        else:
            changed = await _on_engine(info, "alert_update", {"id": str(id), "changes": changes})
            assert changed is not None
            rule = changed
    except ArenaError as error:
        return UpdateAlertPayload(alert=None, user_errors=[UserError.of(error)])
    return UpdateAlertPayload(alert=Alert.of(rule), user_errors=[])


async def delete_alert(info: Info[Context, None], id: strawberry.ID) -> DeleteAlertPayload:
    service = _service(info)
    try:
        if info.context.state.engine_client is None:
            await service.delete(str(id))
        else:
            await _on_engine(info, "alert_delete", {"id": str(id)})
    except ArenaError as error:
        return DeleteAlertPayload(deleted_id=None, user_errors=[UserError.of(error)])
    return DeleteAlertPayload(deleted_id=id, user_errors=[])


async def alerts(info: Info[Context, None]) -> list[Alert]:
    service = _service(info)
    if info.context.state.engine_client is None:
        return [Alert.of(rule) for rule in service.evaluator.rules]
    # an API replica: the rules as the engine stored them
    return [Alert.of(AlertRule.from_row(row)) for row in await alert_store.list_rules(info.context.state.db)]


async def alert_deliveries(
    info: Info[Context, None], alert_id: strawberry.ID, first: int | None = None, after: str | None = None
) -> AlertDeliveryConnection:
    _service(info)
    limit = page_size(first, "first", 20)
    before = from_global_id(after, "cursor")[1] if after else None
    rows = await alert_store.list_deliveries(info.context.state.db, str(alert_id), before_id=before, limit=limit + 1)
    edges = [
        AlertDeliveryEdge(
            cursor=to_global_id("cursor", d.id),
            node=AlertDelivery(
                id=strawberry.ID(d.id),
                channel=d.channel,
                target=redacted(d.target),
                status=d.status,
                attempts=d.attempts,
                last_status_code=d.last_status_code,
                last_error=d.last_error,
                created_at=d.created_at,
                next_attempt_at=d.next_attempt_at if d.status == alert_store.PENDING else None,
                delivered_at=d.delivered_at,
                fired_id=strawberry.ID(str(f.id)),
                message=f.message,
                fired_at=f.at,
            ),
        )
        for d, f in rows[:limit]
    ]
    return AlertDeliveryConnection(edges=edges, page_info=page_info(edges, len(rows) > limit, after is not None))


async def fired_alerts(
    info: Info[Context, None], alert_id: strawberry.ID | None = None, first: int | None = None, after: str | None = None
) -> FiredAlertConnection:
    _service(info)
    limit = page_size(first, "first", 20)
    before = decode_cursor(after) if after else None
    rule = str(alert_id) if alert_id is not None else None
    rows = await alert_store.list_fired(info.context.state.db, rule, before_id=before, limit=limit + 1)
    edges = [
        FiredAlertEdge(
            cursor=encode_cursor(f.id or 0),
            node=FiredAlert(
                id=strawberry.ID(str(f.id)),
                alert_id=strawberry.ID(f.alert_id),
                kind=AlertKind(f.kind),
                message=f.message,
                at=f.at,
                payload=JSON(json.loads(f.payload_json)),
            ),
        )
        for f in rows[:limit]
    ]
    return FiredAlertConnection(edges=edges, page_info=page_info(edges, len(rows) > limit, after is not None))


async def alert_events(info: Info[Context, None]) -> AsyncGenerator[AlertEvent, None]:
    """Every alert as it fires (once stored); the operator's token is required."""
    info.context.require_operator()
    async with open_feed(info, ALERTS) as feed:
        async for event in feed.events:
            assert isinstance(event, AlertFired)
            yield AlertEvent(
                id=strawberry.ID(str(event.id)),
                alert=Alert.of(event.rule),
                message=event.message,
                at=event.at,
                payload=JSON(event.payload),
            )

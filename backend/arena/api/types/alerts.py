"""Alerts as the API shows them. Channel targets are shown redacted (scheme and host): a Slack or
Discord webhook URL, or an Apprise URL, holds a token; the rule's secret only at creation."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit

import strawberry
from strawberry.scalars import JSON

from arena.alerts.rules import AlertKind, AlertRule
from arena.alerts.webhooks import WebhookFormat
from arena.api.types.common import PageInfo, UserError

AlertKindEnum = strawberry.enum(AlertKind, name="AlertKind")
WebhookFormatEnum = strawberry.enum(WebhookFormat, name="WebhookFormat")


def redacted(url: str) -> str:
    """scheme://host/… for URLs of a host of the user's (nothing of a path, query or port, which may
    hold tokens), scheme://… for the other Apprise services."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", "json", "jsons", "form", "forms", "xml", "xmls"):
        return f"{parts.scheme}://…" if parts.scheme else "…"  # other Apprise URLs carry tokens in the host part
    return f"{parts.scheme}://{parts.hostname or ''}/…"


@strawberry.type
class Alert:
    id: strawberry.ID
    kind: AlertKindEnum
    symbol: str | None
    agent_id: strawberry.ID | None
    threshold: Decimal | None
    percent: float | None
    window_seconds: int | None
    min_notional: Decimal | None
    webhook_target: str | None = strawberry.field(description="The webhook URL, redacted (scheme and host).")
    webhook_format: WebhookFormatEnum
    apprise_targets: list[str] = strawberry.field(description="The Apprise URLs, redacted (scheme and host).")
    cooldown_seconds: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, rule: AlertRule) -> Alert:
        assert rule.created_at is not None and rule.updated_at is not None
        return cls(
            id=strawberry.ID(rule.id),
            kind=rule.kind,
            symbol=rule.symbol,
            agent_id=strawberry.ID(rule.agent_id) if rule.agent_id else None,
            threshold=rule.threshold,
            percent=rule.percent,
            window_seconds=rule.window_seconds,
            min_notional=rule.min_notional,
            webhook_target=redacted(rule.webhook_url) if rule.webhook_url else None,
            webhook_format=rule.webhook_format,
            apprise_targets=[redacted(u) for u in rule.apprise_urls],
            cooldown_seconds=rule.cooldown_seconds,
            created_at=rule.created_at,
            updated_at=rule.updated_at,
        )


@strawberry.type
class AlertEvent:
    id: strawberry.ID
    alert: Alert
    message: str
    at: datetime = strawberry.field(description="When the event that fired it happened (feed time).")
    payload: JSON


@strawberry.input
class CreateAlertInput:
    kind: AlertKindEnum
    symbol: str | None = None
    agent_id: strawberry.ID | None = strawberry.field(default=None, description="Agent rules: null for any agent.")
    threshold: Decimal | None = None
    percent: float | None = None
    window_seconds: int | None = None
    min_notional: Decimal | None = None
    webhook_url: str | None = strawberry.field(default=None, description="http(s); signed with the rule's secret.")
    webhook_format: WebhookFormatEnum = WebhookFormat.GENERIC
    apprise_urls: list[str] | None = strawberry.field(default=None, description="slack://, tgram://, mailto://, ...")
    cooldown_seconds: int = 0


@strawberry.input
class UpdateAlertInput:
    """Only the fields given change; give a field as null to clear it. The kind cannot change."""

    symbol: str | None = strawberry.UNSET
    agent_id: strawberry.ID | None = strawberry.UNSET
    threshold: Decimal | None = strawberry.UNSET
    percent: float | None = strawberry.UNSET
    window_seconds: int | None = strawberry.UNSET
    min_notional: Decimal | None = strawberry.UNSET
    webhook_url: str | None = strawberry.UNSET
    webhook_format: WebhookFormatEnum | None = strawberry.UNSET
    apprise_urls: list[str] | None = strawberry.UNSET
    cooldown_seconds: int | None = strawberry.UNSET


@strawberry.type
class CreateAlertPayload:
    alert: Alert | None
    secret: str | None = strawberry.field(description="Signs the webhooks (X-Arena-Signature); shown only here.")
    user_errors: list[UserError]


@strawberry.type
class UpdateAlertPayload:
    alert: Alert | None
    user_errors: list[UserError]


@strawberry.type
class DeleteAlertPayload:
    deleted_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.type
class AlertDelivery:
    id: strawberry.ID = strawberry.field(description="Also the X-Arena-Delivery header: the same on every retry.")
    channel: str = strawberry.field(description="WEBHOOK or APPRISE.")
    target: str = strawberry.field(description="Where it goes, redacted.")
    status: str = strawberry.field(description="PENDING, DELIVERED or FAILED.")
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    fired_id: strawberry.ID
    message: str
    fired_at: datetime


@strawberry.type
class AlertDeliveryEdge:
    cursor: str
    node: AlertDelivery


@strawberry.type
class AlertDeliveryConnection:
    edges: list[AlertDeliveryEdge]
    page_info: PageInfo


@strawberry.type(description="An alert that fired, as stored; it stays when its rule is deleted.")
class FiredAlert:
    id: strawberry.ID
    alert_id: strawberry.ID
    kind: AlertKindEnum
    message: str
    at: datetime = strawberry.field(description="When the event that fired it happened (feed time).")
    payload: JSON


@strawberry.type
class FiredAlertEdge:
    cursor: str
    node: FiredAlert


@strawberry.type
class FiredAlertConnection:
    edges: list[FiredAlertEdge]
    page_info: PageInfo

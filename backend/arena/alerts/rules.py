"""Alert rules as the evaluator sees them, and the checks a rule passes before it is stored.

A rule is checked whole (after an update too): each kind's required fields present, the others
absent, numbers finite and positive, the symbol one the arena knows, the agent one it has, and
every channel a target we may send to. Any failure is an `ArenaError` with a code and the field,
and nothing is stored."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from arena.alerts.apprise_channel import apprise_target_url, check_apprise_urls
from arena.alerts.targets import TargetRefused, check_target
from arena.alerts.webhooks import WebhookFormat
from arena.errors import ArenaError, ErrorCode
from arena.store.tables import AlertRuleRow

MAX_COOLDOWN_SECONDS = 7 * 24 * 3600
MAX_WINDOW_SECONDS = 7 * 24 * 3600


class AlertKind(StrEnum):
    PRICE_ABOVE = "PRICE_ABOVE"
    PRICE_BELOW = "PRICE_BELOW"
    PRICE_CHANGE_PCT = "PRICE_CHANGE_PCT"
    AGENT_DRAWDOWN = "AGENT_DRAWDOWN"
    AGENT_TRADE = "AGENT_TRADE"
    COMPETITION_FINISHED = "COMPETITION_FINISHED"
    FEED_STALE = "FEED_STALE"


# What each kind needs (required) and may have (optional); every other condition field must be absent.
_REQUIRED: dict[AlertKind, frozenset[str]] = {
    AlertKind.PRICE_ABOVE: frozenset({"symbol", "threshold"}),
    AlertKind.PRICE_BELOW: frozenset({"symbol", "threshold"}),
    AlertKind.PRICE_CHANGE_PCT: frozenset({"symbol", "percent", "window_seconds"}),
    AlertKind.AGENT_DRAWDOWN: frozenset({"percent"}),
    AlertKind.AGENT_TRADE: frozenset(),
    AlertKind.COMPETITION_FINISHED: frozenset(),
    AlertKind.FEED_STALE: frozenset(),
}
_OPTIONAL: dict[AlertKind, frozenset[str]] = {
    AlertKind.AGENT_DRAWDOWN: frozenset({"agent_id"}),
    AlertKind.AGENT_TRADE: frozenset({"agent_id", "min_notional"}),
}
CONDITION_FIELDS = ("symbol", "agent_id", "threshold", "percent", "window_seconds", "min_notional")
_API_NAMES = {
    "agent_id": "agentId",
    "window_seconds": "windowSeconds",
    "min_notional": "minNotional",
    "webhook_url": "webhookUrl",
    "apprise_urls": "appriseUrls",
    "cooldown_seconds": "cooldownSeconds",
}


def api_name(name: str) -> str:
    return _API_NAMES.get(name, name)


@dataclass(frozen=True, slots=True)
class AlertRule:
    id: str
    kind: AlertKind
    symbol: str | None = None
    agent_id: str | None = None
    threshold: Decimal | None = None
    percent: float | None = None
    window_seconds: int | None = None
    min_notional: Decimal | None = None
    webhook_url: str | None = None
    webhook_format: WebhookFormat = WebhookFormat.GENERIC
    apprise_urls: tuple[str, ...] = ()
    cooldown_seconds: int = 0
    secret: str = field(default="", repr=False)
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def with_changes(self, changes: dict[str, Any]) -> AlertRule:
        return replace(self, **changes)

    @property
    def condition(self) -> tuple[object, ...]:
        """What decides when it fires; channels and cooldown are not part of it."""
        return (
            self.kind,
            self.symbol,
            self.agent_id,
            self.threshold,
            self.percent,
            self.window_seconds,
            self.min_notional,
        )

    def to_row(self) -> AlertRuleRow:
        assert self.created_at is not None and self.updated_at is not None
        return AlertRuleRow(
            id=self.id,
            kind=self.kind.value,
            symbol=self.symbol,
            agent_id=self.agent_id,
            threshold=self.threshold,
            percent=self.percent,
            window_seconds=self.window_seconds,
            min_notional=self.min_notional,
            webhook_url=self.webhook_url,
            webhook_format=self.webhook_format.value,
            apprise_urls_json=json.dumps(list(self.apprise_urls)),
            cooldown_seconds=self.cooldown_seconds,
            secret=self.secret,
            created_at=self.created_at,
            updated_at=self.updated_at,
        )

    @classmethod
    def from_row(cls, row: AlertRuleRow) -> AlertRule:
        return cls(
            id=row.id,
            kind=AlertKind(row.kind),
            symbol=row.symbol,
            agent_id=row.agent_id,
            threshold=row.threshold,
            percent=row.percent,
            window_seconds=row.window_seconds,
            min_notional=row.min_notional,
            webhook_url=row.webhook_url,
            webhook_format=WebhookFormat(row.webhook_format),
            apprise_urls=tuple(json.loads(row.apprise_urls_json)),
            cooldown_seconds=row.cooldown_seconds,
            secret=row.secret,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _refuse(message: str, name: str) -> ArenaError:
    return ArenaError(ErrorCode.INVALID_INPUT, message, api_name(name))


def check_conditions(rule: AlertRule, symbols: Collection[str]) -> None:
    """The kind's fields are there and sane (the agent is checked against the store by the caller)."""
    required, optional = _REQUIRED[rule.kind], _OPTIONAL.get(rule.kind, frozenset())
    for name in CONDITION_FIELDS:
        value = getattr(rule, name)
        if name in required and value is None:
            raise _refuse(f"{rule.kind.value} needs {api_name(name)}", name)
        if name not in required and name not in optional and value is not None:
            raise _refuse(f"{rule.kind.value} takes no {api_name(name)}", name)
    if rule.symbol is not None and rule.symbol not in symbols:
        known = ", ".join(sorted(symbols)) or "none yet"
        raise ArenaError(ErrorCode.UNKNOWN_SYMBOL, f"unknown symbol {rule.symbol!r} (known: {known})", "symbol")
    if rule.threshold is not None and not (rule.threshold.is_finite() and rule.threshold > 0):
        raise _refuse("threshold must be a finite number above 0", "threshold")
    if rule.min_notional is not None and not (rule.min_notional.is_finite() and rule.min_notional >= 0):
        raise _refuse("minNotional must be a finite number, 0 or more", "min_notional")
    if rule.percent is not None and not (0 < rule.percent <= 1000):  # NaN fails both comparisons
        raise _refuse("percent must be above 0 and at most 1000", "percent")
    if rule.window_seconds is not None and not (1 <= rule.window_seconds <= MAX_WINDOW_SECONDS):
        raise _refuse(f"windowSeconds must be 1..{MAX_WINDOW_SECONDS}", "window_seconds")
    if not (0 <= rule.cooldown_seconds <= MAX_COOLDOWN_SECONDS):
        raise _refuse(f"cooldownSeconds must be 0..{MAX_COOLDOWN_SECONDS}", "cooldown_seconds")


async def check_channels(rule: AlertRule, *, allow_private: bool) -> None:
    """Every target is one we may send to (http/https, not a private address unless allowed)."""
    try:
        if rule.webhook_url is not None:
            await check_target(rule.webhook_url, allow_private=allow_private)
    except TargetRefused as refused:
        raise ArenaError(ErrorCode(refused.code), f"webhookUrl: {refused}", "webhookUrl") from None
    try:
        check_apprise_urls(list(rule.apprise_urls))
        for url in rule.apprise_urls:
            await check_apprise_target(url, allow_private=allow_private)
    except TargetRefused as refused:
        raise ArenaError(ErrorCode(refused.code), f"appriseUrls: {refused}", "appriseUrls") from None


async def check_apprise_target(url: str, *, allow_private: bool) -> None:
    """A generic Apprise URL (json://, form://, ...) posts to a host of the user's choosing: guarded too."""
    target = apprise_target_url(url)
    if target is not None:
        await check_target(target, allow_private=allow_private)

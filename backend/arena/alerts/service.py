"""The alerts of a running server: rules kept in the evaluator and the store, alerts fired in the
recorder's transaction (the recorder's annex), published to the `alerts` subscription once
stored, and delivered from the outbox by the sender, at least once, across restarts."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from arena.alerts.apprise_channel import notify_apprise
from arena.alerts.evaluator import AlertEvaluator, Evaluation, FiredAlert
from arena.alerts.rules import AlertRule, check_apprise_target, check_channels, check_conditions
from arena.alerts.targets import TargetRefused, check_target
from arena.alerts.webhooks import DeliveryOutcome, backoff_seconds, post_webhook, webhook_body
from arena.broker.pubsub import PubSub
from arena.broker.topics import ALERTS
from arena.domain.events import Event
from arena.errors import ArenaError, ErrorCode
from arena.metrics import Metrics
from arena.store import alerts as store
from arena.store.db import Database
from arena.store.tables import AlertDeliveryRow, AlertFiredRow, EntrantRow

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
FEED_CHECK_SECONDS = 1.0
STORE_RETRY_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class AlertFired:
    """What the `alerts` subscription streams: a stored alert and the rule as it was when it fired."""

    id: int
    rule: AlertRule
    message: str
    payload: dict[str, Any]
    at: datetime


@dataclass(frozen=True, slots=True)
class AlertOptions:
    allow_private: bool = False
    retry_base_seconds: float = 1.0
    max_attempts: int = 8
    timeout_seconds: float = 10.0


@dataclass(slots=True)
class _Prepared:
    evaluation: Evaluation
    alerts: list[store.NewAlert]
    rows: list[AlertFiredRow] = field(default_factory=list)


def _now() -> datetime:
    return datetime.now(UTC)


def _targets(rule: AlertRule) -> tuple[tuple[str, str], ...]:
    webhook = ((store.WEBHOOK, rule.webhook_url),) if rule.webhook_url else ()
    return webhook + tuple((store.APPRISE, url) for url in rule.apprise_urls)


def _target_urls(rule: AlertRule) -> list[str]:
    return [url for _, url in _targets(rule)]


class AlertService:
    def __init__(
        self,
        db: Database,
        pubsub: PubSub,
        metrics: Metrics | None = None,
        *,
        options: AlertOptions = AlertOptions(),
        known_symbols: Callable[[], Collection[str]] = tuple,
        feed_health: Callable[[], tuple[bool, str] | None] = lambda: None,
    ) -> None:
        self._db = db
        self._pubsub = pubsub
        self._metrics = metrics
        self.options = options
        self._known_symbols = known_symbols
        self._feed_health = feed_health
        self.evaluator = AlertEvaluator()
        self._wake = asyncio.Event()
        self._rules_lock = asyncio.Lock()
        self.on_fired: Callable[[AlertFired], None] | None = None  # beyond this process (the broker)

    async def load(self) -> None:
        for row in await store.list_rules(self._db):
            self.evaluator.put(AlertRule.from_row(row))
        if await self._count_pending():
            self._wake.set()  # deliveries a previous run left pending

    # --- rules -------------------------------------------------------------------------

    async def create(self, values: dict[str, Any]) -> AlertRule:
        """Checks and stores a new rule; its secret is in the returned rule (shown once)."""
        now = _now()
        rule = AlertRule(
            id="alert-" + uuid.uuid4().hex[:12],
            secret=SECRET_PREFIX + secrets.token_urlsafe(24),
            created_at=now,
            updated_at=now,
            **values,
        )
        await self._check(rule)
        async with self._rules_lock:
            await store.save_rule(self._db, rule.to_row())
            self.evaluator.put(rule)
        logger.info("alert %s created (%s)", rule.id, rule.kind.value)
        return rule

    async def update(self, rule_id: str, changes: dict[str, Any]) -> AlertRule:
        async with self._rules_lock:
            current = self.rule(rule_id)
            rule = current.with_changes({**changes, "updated_at": _now()})
            await self._check(rule)
            await store.save_rule(self._db, rule.to_row(), targets=_target_urls(rule))
            self.evaluator.put(rule)
        await self._count_pending()
        logger.info("alert %s updated", rule_id)
        return rule

    async def delete(self, rule_id: str) -> None:
        async with self._rules_lock:
            self.rule(rule_id)
            await store.delete_rule(self._db, rule_id)
            self.evaluator.remove(rule_id)
        await self._count_pending()
        logger.info("alert %s deleted", rule_id)

    def rule(self, rule_id: str) -> AlertRule:
        found = next((r for r in self.evaluator.rules if r.id == rule_id), None)
        if found is None:
            raise ArenaError(ErrorCode.NOT_FOUND, f"no alert {rule_id!r}", "id")
        return found

    async def _check(self, rule: AlertRule) -> None:
        check_conditions(rule, self._known_symbols())
        if rule.agent_id is not None:
            async with self._db.session() as session:
                if await session.get(EntrantRow, rule.agent_id) is None:
                    raise ArenaError(ErrorCode.NOT_FOUND, f"unknown agent {rule.agent_id!r}", "agentId")
        await check_channels(rule, allow_private=self.options.allow_private)

    # --- the recorder's annex: fired in the batch's transaction -----------------------------

    def prepare(self, events: Sequence[Event]) -> _Prepared:
        evaluation = self.evaluator.evaluate(events)
        return _Prepared(evaluation, [self._new_alert(f) for f in evaluation.fired])

    async def write(self, session: Any, prepared: _Prepared) -> None:
        prepared.rows = await store.write_alerts(session, prepared.alerts, _now())

    def committed(self, prepared: _Prepared) -> None:
        self.evaluator.adopt(prepared.evaluation)
        for fired, row in zip(prepared.evaluation.fired, prepared.rows, strict=True):
            assert row.id is not None
            alert = AlertFired(row.id, fired.rule, fired.message, fired.payload, fired.at)
            self._pubsub.publish(ALERTS, alert)
            if self.on_fired is not None:
                self.on_fired(alert)
            if self._metrics is not None:
                self._metrics.alerts_fired.labels(fired.rule.kind.value).inc()
                self._metrics.alert_outbox_pending.inc(len(_targets(fired.rule)))
            logger.info("alert %s fired: %s", fired.rule.id, fired.message)
        if prepared.rows:
            self._wake.set()

    def _new_alert(self, fired: FiredAlert) -> store.NewAlert:
        rule = fired.rule
        return store.NewAlert(rule.id, rule.kind.value, fired.message, fired.payload, fired.at, _targets(rule))

    # --- background: the feed rule and the sender ------------------------------------------

    async def run(self) -> None:
        """Until cancelled: watch the feed, drain the outbox."""
        async with httpx.AsyncClient(follow_redirects=False) as client:
            await asyncio.gather(self._watch_feed(), self._send_loop(client))

    async def _watch_feed(self) -> None:
        while True:
            await asyncio.sleep(FEED_CHECK_SECONDS)
            try:
                await self._check_feed()
            except Exception:
                logger.exception("the feed alert check failed; it runs again in a second")

    async def _check_feed(self) -> None:
        health = self._feed_health()
        if health is None:
            return
        evaluation = self.evaluator.evaluate_feed(health[0], health[1], _now())
        if not evaluation.fired:
            self.evaluator.adopt(evaluation)
            return
        prepared = _Prepared(evaluation, [self._new_alert(f) for f in evaluation.fired])
        try:
            async with self._db.session() as session, session.begin():
                await self.write(session, prepared)
        except Exception as error:  # the store is down: the feed is checked again next time
            logger.warning("could not store a feed alert: %s", type(error).__name__)
            return
        self.committed(prepared)

    async def _send_loop(self, client: httpx.AsyncClient) -> None:
        await self._wake.wait()  # nothing to read from the outbox until something is in it
        while True:
            self._wake.clear()
            try:
                due = await store.due_deliveries(self._db, _now())
                for delivery, fired in due:
                    await self._deliver(client, delivery, fired)
                await self._count_pending()
                if due:
                    continue
                upcoming = await store.next_attempt_at(self._db)
            except Exception as error:
                logger.warning("alert outbox unavailable (%s); retrying", type(error).__name__)
                await asyncio.sleep(STORE_RETRY_SECONDS)
                continue
            timeout = None if upcoming is None else max(0.0, (upcoming - _now()).total_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _deliver(self, client: httpx.AsyncClient, delivery: AlertDeliveryRow, fired: AlertFiredRow) -> None:
        try:
            rule: AlertRule | None = self.rule(delivery.alert_id)
        except ArenaError:
            rule = None
        if rule is None:
            outcome = DeliveryOutcome(delivered=False, status_code=None, error="the rule was deleted", retryable=False)
        elif delivery.target not in _target_urls(rule):
            # fired by a batch prepared before the rule's target changed, stored after it
            outcome = DeliveryOutcome(False, None, "the rule's target changed", retryable=False)
        else:
            try:
                outcome = await self._attempt(client, rule, delivery, fired)
            except Exception as error:  # counted as an attempt, so one bad row never blocks the outbox
                logger.exception("alert delivery %s failed unexpectedly", delivery.id)
                outcome = DeliveryOutcome(False, None, type(error).__name__, retryable=True)
        now = _now()
        delivery.attempts += 1
        delivery.last_status_code, delivery.last_error = outcome.status_code, outcome.error
        if outcome.delivered:
            delivery.status, delivery.delivered_at, result = store.DELIVERED, now, "delivered"
        elif outcome.retryable and delivery.attempts < self.options.max_attempts:
            wait = backoff_seconds(delivery.attempts, base=self.options.retry_base_seconds)
            delivery.next_attempt_at, result = now + timedelta(seconds=wait), "retry"
        else:
            delivery.status, result = store.FAILED, "failed"
        if not await store.save_delivery(self._db, delivery):
            result = "given_up"  # the rule was deleted or changed during the attempt: that stands
        if self._metrics is not None:
            self._metrics.alert_deliveries.labels(delivery.channel, result).inc()
        logger.info(
            "alert delivery %s (%s, attempt %d): %s%s",
            delivery.id,
            delivery.channel,
            delivery.attempts,
            result,
            f" [{outcome.status_code or outcome.error}]" if not outcome.delivered else "",
        )

    async def _attempt(
        self, client: httpx.AsyncClient, rule: AlertRule, delivery: AlertDeliveryRow, fired: AlertFiredRow
    ) -> DeliveryOutcome:
        allow_private = self.options.allow_private
        try:
            if delivery.channel == store.WEBHOOK:
                await check_target(delivery.target, allow_private=allow_private)
                body = webhook_body(rule.webhook_format, _webhook_alert(fired))
                return await post_webhook(
                    client,
                    delivery.target,
                    body=body,
                    secret=rule.secret,
                    delivery_id=delivery.id,
                    timeout=self.options.timeout_seconds,
                )
            await check_apprise_target(delivery.target, allow_private=allow_private)
            return await notify_apprise([delivery.target], title=f"Trading Arena: {fired.kind}", body=fired.message)
        except TargetRefused as refused:
            unresolved = "resolve" in str(refused)  # a DNS outage passes: try again later
            return DeliveryOutcome(delivered=False, status_code=None, error=str(refused), retryable=unresolved)

    async def _count_pending(self) -> int:
        pending = await store.pending_count(self._db)
        if self._metrics is not None:
            self._metrics.alert_outbox_pending.set(pending)
        return pending


def _webhook_alert(fired: AlertFiredRow) -> dict[str, Any]:
    return {
        "id": str(fired.id),
        "alertId": fired.alert_id,
        "kind": fired.kind,
        "message": fired.message,
        "at": fired.at.isoformat(),
        "payload": json.loads(fired.payload_json),
    }

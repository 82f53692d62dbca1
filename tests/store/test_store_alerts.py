"""The alert outbox's rows: a changed target gives up what was pending for the old one, an
attempt's outcome never brings a given-up delivery back — except one that got through, which
is logged as delivered."""

from __future__ import annotations

from datetime import UTC, datetime

from arena.store import alerts as store
from arena.store.db import Database
from arena.store.tables import AlertDeliveryRow, AlertRuleRow

NOW = datetime(2026, 12, 1, tzinfo=UTC)
OLD, NEW = "https://old.example/hook", "https://new.example/hook"


def _rule(url: str) -> AlertRuleRow:
    return AlertRuleRow(
        id="alert-1", kind="AGENT_TRADE", webhook_url=url, secret="whsec_x", created_at=NOW, updated_at=NOW
    )


async def _fire(db: Database) -> AlertDeliveryRow:
    await store.save_rule(db, _rule(OLD))
    alert = store.NewAlert("alert-1", "AGENT_TRADE", "a trade", {"n": 1}, NOW, ((store.WEBHOOK, OLD),))
    async with db.session() as session, session.begin():
        await store.write_alerts(session, [alert], NOW)
    ((delivery, _fired),) = await store.list_deliveries(db, "alert-1")
    return delivery


async def _status(db: Database) -> AlertDeliveryRow:
    ((delivery, _fired),) = await store.list_deliveries(db, "alert-1")
    return delivery


async def test_a_changed_target_gives_up_the_old_ones_pending_and_a_retry_does_not_revive_it(db: Database) -> None:
    delivery = await _fire(db)
    await store.save_rule(db, _rule(NEW), targets=[NEW])
    given_up = await _status(db)
    assert (given_up.status, given_up.last_error) == (store.FAILED, "the rule's target changed")
    assert await store.pending_count(db) == 0
    delivery.attempts, delivery.last_error = 1, "ConnectError"  # an attempt that was in flight failed
    assert not await store.save_delivery(db, delivery)
    assert (await _status(db)).status == store.FAILED


async def test_an_attempt_that_got_through_is_logged_delivered_even_when_given_up_meanwhile(db: Database) -> None:
    delivery = await _fire(db)
    await store.delete_rule(db, "alert-1")
    delivery.status, delivery.attempts, delivery.last_status_code, delivery.delivered_at = store.DELIVERED, 1, 200, NOW
    assert await store.save_delivery(db, delivery)
    logged = await _status(db)
    assert (logged.status, logged.attempts, logged.last_status_code) == (store.DELIVERED, 1, 200)
    assert not await store.save_delivery(db, delivery)  # delivered once: not again


async def test_an_unchanged_target_keeps_its_pending_delivery(db: Database) -> None:
    await _fire(db)
    await store.save_rule(db, _rule(OLD), targets=[OLD])
    assert (await _status(db)).status == store.PENDING
    assert await store.pending_count(db) == 1

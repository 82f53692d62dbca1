"""What `/health` says: the database, the store's writes, the feed and the competition."""

from __future__ import annotations

from typing import Any

from arena.app.runner import ArenaRunner
from arena.store.db import Database


async def health_report(runner: ArenaRunner, db: Database) -> tuple[dict[str, Any], int]:
    """The report and its HTTP status: 503 when the database does not answer; `status` is "degraded"
    while the store refuses writes (play waits) or after a failure in the round loop."""
    db_ok = await db.ping()
    feed = runner.feed_info
    live = runner.competition
    failure = runner.outbox.failure
    store: dict[str, Any] = {"writes": "ok"}
    if failure is not None:
        store = {
            "writes": "failing",
            "reason": failure.reason,
            "attempts": failure.attempts,
            "waiting_events": failure.waiting,
        }
    reason = None
    if not db_ok:
        reason = "the database does not answer"
    elif failure is not None:
        reason = f"the store refuses writes: {failure.reason}"
    elif runner.last_error is not None:
        reason = runner.last_error
    report = {
        "status": "ok" if reason is None else "degraded",
        "error": reason,
        "database": "ok" if db_ok else "unavailable",
        "store": store,
        "feed": None
        if feed is None
        else {"id": feed.id, "kind": feed.kind.value, "description": feed.description, "symbols": list(feed.symbols)},
        "competition": None
        if live is None
        else {"id": live.id, "name": live.config.name, "state": live.status.value, "round": live.round},
        "state": runner.status.value,
    }
    return report, 200 if db_ok else 503

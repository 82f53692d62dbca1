"""What `/health` says: the database, the store's writes, the feed and the competition."""

from __future__ import annotations

from typing import Any

from arena.app.runner import ArenaRunner
from arena.feeds.base import FeedInfo, FeedStatus, LiveFeed
from arena.store.db import Database

SILENT = (FeedStatus.STALE, FeedStatus.RECONNECTING)


async def health_report(runner: ArenaRunner, db: Database) -> tuple[dict[str, Any], int]:
    """The report and its HTTP status: 503 when the database does not answer; `status` is "degraded"
    while the store refuses writes (play waits), while a live feed is stale or reconnecting, or after
    a failure in the round loop."""
    db_ok = await db.ping()
    source = runner.sources.current
    live = source.feed if source is not None and isinstance(source.feed, LiveFeed) else None
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
    elif live is not None and live.status in SILENT:
        detail = live_error(live)
        reason = f"the live feed is {live.status.value}" + (f": {detail}" if detail else "")
    elif runner.last_error is not None:
        reason = runner.last_error
    competition = runner.competition
    report = {
        "status": "ok" if reason is None else "degraded",
        "error": reason,
        "database": "ok" if db_ok else "unavailable",
        "store": store,
        "feed": None if source is None else _feed(source.info, live),
        "competition": None
        if competition is None
        else {
            "id": competition.id,
            "name": competition.config.name,
            "state": runner.status.value,
            "round": competition.round,
        },
        "state": runner.status.value,
    }
    return report, 200 if db_ok else 503


def live_error(feed: LiveFeed) -> str | None:
    """The live feed's latest connection problem, when it says (`ExchangeFeed.error`)."""
    error = getattr(feed, "error", None)
    return error if isinstance(error, str) else None


def _feed(info: FeedInfo, live: LiveFeed | None) -> dict[str, Any]:
    report: dict[str, Any] = {
        "id": info.id,
        "kind": info.kind.value,
        "description": info.description,
        "symbols": list(info.symbols),
        "note": info.note or None,
    }
    if live is not None:
        age = live.last_quote_age()
        report["status"] = live.status.value
        report["last_quote_age_seconds"] = None if age is None else round(age, 3)
        report["error"] = live_error(live)
    return report

"""Wiring, in one place, what `arena serve` and `arena run` share: the database made ready, and the
event pipeline in its order (store first, then metrics, then publishing, then anything else)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from arena.app.outbox import EventOutbox, FlushPolicy, Sink
from arena.broker.publisher import Publisher
from arena.metrics import Metrics
from arena.store.competitions import mark_interrupted
from arena.store.db import Database
from arena.store.recorder import Recorder

logger = logging.getLogger(__name__)


async def prepare_database(db: Database) -> None:
    """Upgrade the schema, then, on SQLite, mark competitions that a crash left running as
    INTERRUPTED. On PostgreSQL an engine may be running them now: only the engine that takes the
    lease marks them (`arena.app.engine_role`), so a headless run beside it leaves them be."""
    await db.init()
    if not db.is_sqlite:
        return
    interrupted = await mark_interrupted(db)
    if interrupted:
        logger.warning("competitions left running by a crash are now INTERRUPTED: %s", ", ".join(interrupted))


def event_pipeline(
    recorder: Recorder | None,
    *,
    metrics: Metrics | None = None,
    publisher: Publisher | None = None,
    extra: Sequence[Sink] = (),
    policy: FlushPolicy = FlushPolicy(),
) -> EventOutbox:
    """Record, then observe, then publish: the order every event takes."""
    after: list[Sink] = []
    if metrics is not None:
        after.append(metrics.observe)
    if publisher is not None:
        after.append(publisher.publish)
    after.extend(extra)
    return EventOutbox(recorder.record if recorder is not None else None, after, policy=policy)

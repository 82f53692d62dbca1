"""Resuming a competition that a crash left INTERRUPTED: load it from the store, rebuild it, continue."""

from __future__ import annotations

import json
import logging

from arena.app.runner import ArenaRunner
from arena.domain.events import CompetitionStatus
from arena.engine.competition import Competition, own_feed_id
from arena.engine.config import CompetitionConfig
from arena.engine.recovery import replay_own_feed, restore_on_shared_feed
from arena.errors import ArenaError, ErrorCode
from arena.store import competitions, fills, prices
from arena.store.db import Database
from arena.store.rebuild import rebuild_accounts
from arena.store.tables import CompetitionRow

logger = logging.getLogger(__name__)


async def resume_interrupted(runner: ArenaRunner, db: Database, competition_id: str | None = None) -> Competition:
    """Continue the latest INTERRUPTED competition, or `competition_id`, from its last recorded round."""
    row = await _interrupted(db, competition_id)
    config = CompetitionConfig.from_dict(json.loads(row.config_json))
    recorded = await fills.competition_fills(db, row.id)
    started_at = row.started_at or row.created_at
    if config.feed is None:
        market = runner.sources.market
        if market is None:
            raise ArenaError(ErrorCode.INVALID_CONFIG, "no market feed to continue on", "feed")
        marks = runner.prices.prices(market.info.id)
        if not marks:
            marks = {q.symbol: q.price for q in await prices.latest_quotes(db, market.info.id)}
        accounts = await rebuild_accounts(db, row.id)
        competition = restore_on_shared_feed(
            row.id,
            config,
            row.round,
            recorded,
            accounts=accounts,
            prices=marks,
            started_at=started_at,
            feed_id=market.info.id,
        )
        logger.info(
            "resuming competition %s on the shared feed from round %d (%d fills)", row.id, row.round, len(recorded)
        )
        return await runner.resume_restored(competition, None, None)
    feed = runner.open_feed(config.feed, config.symbols, own_feed_id(row.id))
    batches = feed.batches()
    competition = replay_own_feed(
        row.id,
        config,
        row.round,
        recorded,
        batches,
        symbols=feed.info.symbols if config.feed.paths else None,
        started_at=started_at,
    )
    logger.info("resuming competition %s from round %d (%d fills replayed)", row.id, row.round, len(recorded))
    return await runner.resume_restored(competition, feed, batches)


async def _interrupted(db: Database, competition_id: str | None) -> CompetitionRow:
    if competition_id is None:
        rows = await competitions.list_competitions(db, status=CompetitionStatus.INTERRUPTED, limit=1)
        if not rows:
            raise ArenaError(ErrorCode.NO_COMPETITION, "there is no paused or interrupted competition to resume")
        return rows[0]
    row = await competitions.get_competition(db, competition_id)
    if row is None:
        raise ArenaError(ErrorCode.NOT_FOUND, f"no competition {competition_id!r}", "id")
    if row.status != CompetitionStatus.INTERRUPTED.value:
        raise ArenaError(ErrorCode.NOT_PAUSED, f"competition {row.id} is {row.status}, not INTERRUPTED", "id")
    return row

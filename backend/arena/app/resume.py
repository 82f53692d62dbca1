"""Resuming a competition that a crash left INTERRUPTED: load it from the store, rebuild it, continue."""

from __future__ import annotations

import asyncio
import json
import logging
from decimal import Decimal

from arena.app.runner import ArenaRunner
from arena.domain.events import CompetitionStatus
from arena.domain.orders import Fill
from arena.engine.competition import Competition, own_feed_id
from arena.engine.config import CompetitionConfig
from arena.engine.recovery import replay_own_feed, restore_on_shared_feed
from arena.errors import ArenaError, ErrorCode
from arena.feeds.base import RecordedFeed
from arena.store import competitions, decisions, equity, fills, prices
from arena.store.db import Database
from arena.store.rebuild import rebuild_accounts
from arena.store.tables import CompetitionRow

logger = logging.getLogger(__name__)


async def resume_interrupted(
    runner: ArenaRunner, db: Database, competition_id: str | None = None, *, paused: bool = False
) -> Competition:
    """Continue the latest INTERRUPTED competition, or `competition_id`, from its last recorded round
    (`paused`: as PAUSED, before any round).

    Checked before any work: that nothing else runs and the store takes writes. A competition
    that owns its feed is replayed off the event loop (a long one takes a while)."""
    runner.check_can_take_over()
    row = await _interrupted(db, competition_id)
    config = CompetitionConfig.from_dict(json.loads(row.config_json))
    recorded = await fills.competition_fills(db, row.id)
    started_at = row.started_at or row.created_at
    if config.feed is None:
        return await _on_shared_feed(runner, db, row, config, recorded, paused)
    feed_spec = config.feed
    feed = await asyncio.to_thread(runner.open_feed, feed_spec, config.symbols, own_feed_id(row.id))
    if not isinstance(feed, RecordedFeed):
        raise ArenaError(ErrorCode.INVALID_CONFIG, "only a simulated or replayed feed can be replayed", "feed")
    batches = feed.batches()
    symbols = feed.info.symbols if feed_spec.paths else None
    made = await decisions.competition_decisions(db, row.id)
    competition = await asyncio.to_thread(
        replay_own_feed,
        row.id,
        config,
        row.round,
        recorded,
        batches,
        symbols=symbols,
        started_at=started_at,
        recorded_decisions=made,
    )
    logger.info(
        "resuming competition %s from round %d (%d fills and %d model decisions replayed)",
        row.id,
        row.round,
        len(recorded),
        len(made),
    )
    return await runner.resume_restored(competition, feed, batches, paused=paused)


async def _on_shared_feed(
    runner: ArenaRunner,
    db: Database,
    row: CompetitionRow,
    config: CompetitionConfig,
    recorded: list[Fill],
    paused: bool,
) -> Competition:
    market = runner.sources.market
    if market is None:
        raise ArenaError(ErrorCode.INVALID_CONFIG, "no market feed to continue on", "feed")
    runner.check_market_symbols(config.symbols)
    # marks: the competition's own last prices, then the market's latest where it has them
    marks: dict[str, Decimal] = await prices.final_prices(db, row.id)
    latest = runner.prices.prices(market.info.id) or {
        q.symbol: q.price for q in await prices.latest_quotes(db, market.info.id)
    }
    marks.update({symbol: price for symbol, price in latest.items() if symbol in config.symbols})
    accounts = await rebuild_accounts(db, row.id)
    unpriced = sorted({s for a in accounts.values() for s in a.positions} - set(marks))
    if unpriced:
        raise ArenaError(ErrorCode.NO_PRICE, f"no price to mark {', '.join(unpriced)} at; wait for the market to tick")
    competition = restore_on_shared_feed(
        row.id,
        config,
        row.round,
        recorded,
        accounts=accounts,
        prices=marks,
        started_at=row.started_at or row.created_at,
        feed_id=market.info.id,
        equity=await equity.equity_series(db, row.id),
        decisions=await decisions.count_decisions(db, competition_id=row.id),
    )
    logger.info("resuming competition %s on the shared feed from round %d (%d fills)", row.id, row.round, len(recorded))
    return await runner.resume_restored(competition, None, None, paused=paused)


async def _interrupted(db: Database, competition_id: str | None) -> CompetitionRow:
    if competition_id is None:
        rows = await competitions.list_competitions(db, status=CompetitionStatus.INTERRUPTED, limit=1)
        if not rows:
            raise ArenaError(ErrorCode.NO_COMPETITION, "there is no interrupted competition to resume")
        return rows[0]
    row = await competitions.get_competition(db, competition_id)
    if row is None:
        raise ArenaError(ErrorCode.NOT_FOUND, f"no competition {competition_id!r}", "id")
    if row.status != CompetitionStatus.INTERRUPTED.value:
        raise ArenaError(ErrorCode.NOT_PAUSED, f"competition {row.id} is {row.status}, not INTERRUPTED", "id")
    return row

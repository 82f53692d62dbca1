"""Resuming a competition that a crash left INTERRUPTED: load it from the store, rebuild it, continue."""

from __future__ import annotations

import json
import logging

from arena.domain.events import CompetitionStatus
from arena.domain.orders import Fill, Side
from arena.engine.competition import Competition
from arena.engine.config import CompetitionConfig
from arena.engine.recovery import restore
from arena.engine.runner import ArenaRunner
from arena.errors import ArenaError, ErrorCode
from arena.store import repository
from arena.store.db import Database
from arena.store.rebuild import rebuild_accounts
from arena.store.tables import FillRow

logger = logging.getLogger(__name__)


async def resume_interrupted(runner: ArenaRunner, db: Database, competition_id: str | None = None) -> Competition:
    if competition_id is None:
        rows = await repository.list_competitions(db, status=CompetitionStatus.INTERRUPTED, limit=1)
        if not rows:
            raise ArenaError(ErrorCode.NO_COMPETITION, "there is no paused or interrupted competition to resume")
        row = rows[0]
    else:
        row = await repository.get_competition(db, competition_id)
        if row is None:
            raise ArenaError(ErrorCode.NOT_FOUND, f"no competition {competition_id!r}", "id")
    if row.status != CompetitionStatus.INTERRUPTED.value:
        raise ArenaError(ErrorCode.NOT_PAUSED, f"competition {row.id} is {row.status}, not INTERRUPTED", "id")
    config = CompetitionConfig.from_dict(json.loads(row.config_json))
    fills = [_fill(r) for r in await _all_fills(db, row.id)]
    accounts = prices = None
    if config.feed is None:
        accounts = await rebuild_accounts(db, row.id)
        prices = {t.symbol: t.price for t in await repository.latest_prices(db)}
    restored = restore(row.id, config, row.round, fills, accounts=accounts, prices=prices)
    logger.info("resuming competition %s from round %d (%d fills rebuilt)", row.id, row.round, len(fills))
    return await runner.resume_restored(restored.competition, restored.feed, restored.batches)


async def _all_fills(db: Database, competition_id: str) -> list[FillRow]:
    fills: list[FillRow] = []
    after = None
    while True:
        page = await repository.list_fills(db, competition_id=competition_id, after_id=after, limit=5000, newest_first=False)
        if not page:
            return fills
        fills.extend(page)
        after = page[-1].id


def _fill(row: FillRow) -> Fill:
    return Fill(agent_id=row.agent_id, symbol=row.symbol, side=Side(row.side), quantity=row.quantity, price=row.price,
                fee=row.fee, realized_pnl=row.realized_pnl, round=row.round, executed_at=row.executed_at, seq=row.seq,
                client_order_id=row.client_order_id)

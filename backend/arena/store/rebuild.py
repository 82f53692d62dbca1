"""Rebuild accounts from the persisted ledger: replay a competition's fills in seq order."""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlmodel import col
from sqlmodel import select as sqlmodel_select

from arena.domain.account import Account
from arena.domain.orders import Side
from arena.errors import ArenaError, ErrorCode
from arena.store.db import Database
from arena.store.errors import CorruptLedgerError
from arena.store.tables import CompetitionRow, EntrantRow, FillRow

logger = logging.getLogger(__name__)

_STREAM_CHUNK = 5_000


async def rebuild_accounts(db: Database, competition_id: str) -> dict[str, Account]:
    """Fresh accounts per entrant with every persisted fill re-applied, keyed by agent id.

    Raises `CorruptLedgerError` when a fill cannot be applied (a sell of more than
    is held, an unknown agent) or its replayed realized PnL differs from the stored one.
    """
    async with db.session() as session:
        competition = await session.get(CompetitionRow, competition_id)
        if competition is None:
            raise ArenaError(ErrorCode.NOT_FOUND, f"no competition {competition_id!r}")
        of_competition = sqlmodel_select(col(EntrantRow.id)).where(col(EntrantRow.competition_id) == competition_id)
        entrants = (await session.exec(of_competition)).all()
        accounts = {agent_id: Account.open(competition.starting_cash) for agent_id in entrants}
        # SQLAlchemy's select: SQLModel's is typed for at most four columns
        query = (
            select(
                col(FillRow.id),
                col(FillRow.seq),
                col(FillRow.agent_id),
                col(FillRow.symbol),
                col(FillRow.side),
                col(FillRow.quantity),
                col(FillRow.price),
                col(FillRow.fee),
                col(FillRow.realized_pnl),
            )
            .where(col(FillRow.competition_id) == competition_id)
            .order_by(col(FillRow.seq))
            .execution_options(yield_per=_STREAM_CHUNK)
        )
        replayed = 0
        stream = await session.stream(query)
        async for fill_id, seq, agent_id, symbol, side, quantity, price, fee, stored_pnl in stream:
            where = f"fill {fill_id} (seq {seq}) of competition {competition_id}"
            account = accounts.get(agent_id)
            if account is None:
                raise CorruptLedgerError(f"{where}: agent {agent_id!r} is not an entrant")
            if side == Side.BUY.value:
                pnl = account.buy(symbol, quantity, price, fee)
            elif side == Side.SELL.value:
                held = account.quantity(symbol)
                if quantity > held:
                    raise CorruptLedgerError(f"{where}: sells {quantity} {symbol} but holds {held}")
                pnl = account.sell(symbol, quantity, price, fee)
            else:
                raise CorruptLedgerError(f"{where}: unknown side {side!r}")
            if pnl != stored_pnl:
                raise CorruptLedgerError(f"{where}: replayed realized PnL {pnl} != stored {stored_pnl}")
            replayed += 1
    logger.info("rebuilt %d accounts of competition %s from %d fills", len(accounts), competition_id, replayed)
    return accounts

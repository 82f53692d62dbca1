from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from arena.domain.account import Account
from arena.errors import ArenaError, ErrorCode
from arena.store.db import Database
from arena.store.errors import CorruptLedgerError
from arena.store.rebuild import rebuild_accounts
from arena.store.recorder import Recorder
from tests.store.store_builders import T0, Ledger, OpenDb, created


def _state(account: Account) -> tuple[object, ...]:
    positions = {s: (p.quantity, p.cost_basis) for s, p in account.positions.items()}
    return (
        account.starting_cash,
        account.cash,
        positions,
        account.realized_pnl,
        account.fees_paid,
        account.trade_count,
    )


async def _ledger(db: Database, competition_id: str, batches: int, seed: int) -> Ledger:
    recorder = Recorder(db)
    birth = created(competition_id, starting_cash=Decimal("2500.00"))
    ledger = Ledger(competition_id, [e.agent_id for e in birth.entrants[:-1]], Decimal("2500.00"), seed=seed)
    await recorder.record([birth])
    for r in range(batches):
        await recorder.record(ledger.fills(40, round_=r, at=T0 + timedelta(seconds=r)))
    return ledger


async def test_rebuilt_accounts_equal_accounts_built_from_the_same_fills(open_db: OpenDb) -> None:
    db = await open_db()
    ledger = await _ledger(db, "c1", batches=8, seed=11)
    await _ledger(db, "c2", batches=3, seed=12)  # another competition's fills must not leak in
    await db.close()

    db = await open_db()
    rebuilt = await rebuild_accounts(db, "c1")
    birth = created("c1")
    assert set(rebuilt) == {e.agent_id for e in birth.entrants}
    idle = birth.entrants[-1].agent_id  # an entrant that never traded
    assert _state(rebuilt.pop(idle)) == _state(Account.open(Decimal("2500.00")))
    assert {a: _state(acc) for a, acc in rebuilt.items()} == {a: _state(acc) for a, acc in ledger.accounts.items()}
    assert any(acc.positions for acc in rebuilt.values()) and any(acc.realized_pnl for acc in rebuilt.values())


async def test_a_tampered_realized_pnl_is_corruption(db: Database) -> None:
    await _ledger(db, "c1", batches=2, seed=3)
    async with db.engine.begin() as connection:
        await connection.execute(
            text("UPDATE fill SET realized_pnl = '0.01' WHERE id = (SELECT max(id) FROM fill WHERE side = 'SELL')")
        )
    with pytest.raises(CorruptLedgerError, match="realized PnL"):
        await rebuild_accounts(db, "c1")


async def test_selling_more_than_was_bought_is_corruption(db: Database) -> None:
    await _ledger(db, "c1", batches=2, seed=3)
    async with db.engine.begin() as connection:
        await connection.execute(
            text("UPDATE fill SET quantity = '1000000' WHERE id = (SELECT min(id) FROM fill WHERE side = 'SELL')")
        )
    with pytest.raises(CorruptLedgerError, match="holds"):
        await rebuild_accounts(db, "c1")


async def test_unknown_competition(db: Database) -> None:
    with pytest.raises(ArenaError) as error:
        await rebuild_accounts(db, "missing")
    assert error.value.code is ErrorCode.NOT_FOUND

"""Fills: keyset pages both ways, stable while fills arrive, filters and counts."""

from __future__ import annotations

import pytest

from arena.domain.events import OrderFilled
from arena.domain.orders import Side
from arena.store import fills
from arena.store.db import Database
from arena.store.recorder import Recorder
from tests.store.store_builders import (
    Ledger,
    created,
)


async def _fill_world(recorder: Recorder, count: int) -> list[Ledger]:
    """Two competitions whose fills interleave."""
    ledgers = []
    for cid in ("c1", "c2"):
        birth = created(cid)
        await recorder.record([birth])
        ledgers.append(Ledger(cid, [e.agent_id for e in birth.entrants], seed=len(ledgers) + 3))
    for i in range(count // 10):
        await recorder.record(ledgers[i % 2].fills(10, round_=i))
    return ledgers


async def _walk(db: Database, *, newest_first: bool, limit: int, **filters: str) -> list[int]:
    ids: list[int] = []
    cursor: dict[str, int] = {}
    while page := await fills.list_fills(db, limit=limit, newest_first=newest_first, **cursor, **filters):
        ids += [f.id for f in page]  # type: ignore[misc]
        cursor = {"before_id": page[-1].id} if newest_first else {"after_id": page[-1].id}  # type: ignore[dict-item]
    return ids


@pytest.mark.parametrize("limit", [1, 7, 50])
async def test_fill_pages_cover_everything_once_both_ways(db: Database, limit: int) -> None:
    await _fill_world(Recorder(db), 120)
    every = await _walk(db, newest_first=False, limit=1000)
    assert len(every) == 120 and every == sorted(every)
    assert await _walk(db, newest_first=True, limit=limit) == every[::-1]
    assert await _walk(db, newest_first=False, limit=limit) == every
    async with db.session() as session:
        c1 = [f.id for f in await fills.list_fills(session, competition_id="c1", newest_first=False, limit=1000)]
    assert await _walk(db, newest_first=True, limit=limit, competition_id="c1") == c1[::-1]
    assert len(c1) == await fills.count_fills(db, competition_id="c1") == 60


async def test_fill_pages_stay_stable_while_fills_arrive(db: Database) -> None:
    recorder = Recorder(db)
    ledgers = await _fill_world(recorder, 100)
    first = await fills.list_fills(db, limit=15)
    ids_before = [f.id for f in first]
    await recorder.record(ledgers[0].fills(12))  # new fills land between page requests
    older = await fills.list_fills(db, limit=15, before_id=first[-1].id)
    assert [f.id for f in older] == list(range(ids_before[-1] - 1, ids_before[-1] - 16, -1))  # no gap, no repeat
    # walking back up from the first page finds exactly the new fills, then nothing
    newer = await fills.list_fills(db, limit=5, after_id=first[0].id)
    assert [f.id for f in newer] == list(range(first[0].id + 5, first[0].id, -1))  # type: ignore[operator]
    newer_still = await fills.list_fills(db, limit=50, after_id=newer[0].id)
    assert [f.id for f in newer_still] == list(range(first[0].id + 12, first[0].id + 5, -1))  # type: ignore[operator]
    assert await fills.list_fills(db, after_id=newer_still[0].id) == []
    # the same, oldest first
    asc = await fills.list_fills(db, limit=4, after_id=first[0].id, newest_first=False)
    assert [f.id for f in asc] == list(range(first[0].id + 1, first[0].id + 5))  # type: ignore[operator]
    # both cursors: the page right below before_id
    between = await fills.list_fills(db, limit=3, after_id=10, before_id=20)
    assert [f.id for f in between] == [19, 18, 17]


async def test_fill_filters_and_counts(db: Database) -> None:
    ledgers = await _fill_world(Recorder(db), 60)
    agent = ledgers[1].agents[0]
    found = await fills.list_fills(db, agent_id=agent, symbol="BTC-USD", limit=1000)
    assert found and all(f.agent_id == agent and f.symbol == "BTC-USD" for f in found)
    assert await fills.count_fills(db, agent_id=agent, symbol="BTC-USD") == len(found)
    assert await fills.count_fills(db) == 60
    assert await fills.count_fills(db, symbol="DOGE-USD") == 0


async def test_an_agents_fill_is_found_by_its_client_order_id(db: Database) -> None:
    ledgers = await _fill_world(Recorder(db), 30)
    recorded = [e.fill for e in ledgers[0].fills(6, round_=99)]
    await Recorder(db).record([OrderFilled("c1", f) for f in recorded])
    with_id = next(f for f in recorded if f.client_order_id is not None)
    assert await fills.fill_by_client_order_id(db, with_id.agent_id, with_id.client_order_id) == with_id
    assert await fills.fill_by_client_order_id(db, with_id.agent_id, "never-used") is None
    assert await fills.fill_by_client_order_id(db, "another-agent", with_id.client_order_id) is None


async def test_a_competitions_fills_come_back_as_domain_fills_in_sequence(db: Database) -> None:
    ledgers = await _fill_world(Recorder(db), 40)
    back = await fills.competition_fills(db, "c2")
    assert [f.seq for f in back] == list(range(1, len(back) + 1))
    assert {f.agent_id for f in back} <= set(ledgers[1].agents)
    assert len(back) == await fills.count_fills(db, competition_id="c2")


async def test_fills_filtered_by_side(db: Database) -> None:
    await _fill_world(Recorder(db), 60)
    sells = await fills.list_fills(db, side=Side.SELL, limit=1000)
    buys = await fills.list_fills(db, side=Side.BUY, limit=1000)
    assert sells and buys and {f.side for f in sells} == {"SELL"} and {f.side for f in buys} == {"BUY"}
    assert len(sells) + len(buys) == await fills.count_fills(db) == 60
    assert await fills.count_fills(db, side=Side.SELL) == len(sells)

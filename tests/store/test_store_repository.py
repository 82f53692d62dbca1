from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.domain.events import CompetitionStatus, QuotesReceived
from arena.domain.market import Quote, QuoteBatch
from arena.errors import ArenaError, ErrorCode
from arena.store import repository
from arena.store.candles import Candle
from arena.store.db import Database
from arena.store.recorder import Recorder
from arena.store.types import EPOCH
from tests.store.store_builders import (
    T0,
    Ledger,
    OpenDb,
    agent_id,
    created,
    finished,
    quotes,
    round_completed,
    state,
)

S = CompetitionStatus


async def _competition_in(recorder: Recorder, competition_id: str, *path: CompetitionStatus, at: datetime = T0) -> None:
    events: list = [created(competition_id, at=at)]  # type: ignore[type-arg]
    previous = S.IDLE
    for status in path:
        events.append(state(competition_id, previous, status, at=at))
        previous = status
    await recorder.record(events)


# --- competitions -------------------------------------------------------------------


async def test_mark_interrupted_flips_only_running_and_paused(open_db: OpenDb) -> None:
    db = await open_db()
    recorder = Recorder(db)
    await _competition_in(recorder, "idle")
    await _competition_in(recorder, "running", S.RUNNING)
    await _competition_in(recorder, "paused", S.RUNNING, S.PAUSED)
    await _competition_in(recorder, "stopped", S.RUNNING, S.STOPPED)
    await _competition_in(recorder, "finished", S.RUNNING, S.FINISHED)
    await db.close()  # as if the process had crashed

    db = await open_db()
    assert await repository.mark_interrupted(db) == ["paused", "running"]
    assert await repository.mark_interrupted(db) == []
    statuses = {c.id: c.status for c in await repository.list_competitions(db, limit=10)}
    assert statuses == {
        "idle": "IDLE",
        "running": "INTERRUPTED",
        "paused": "INTERRUPTED",
        "stopped": "STOPPED",
        "finished": "FINISHED",
    }


async def test_list_competitions_newest_first_with_keyset_pages(db: Database) -> None:
    recorder = Recorder(db)
    # c00..c09: two share each created_at, so the id breaks ties
    for i in range(10):
        await _competition_in(recorder, f"c{i:02}", *((S.RUNNING,) if i % 3 else ()), at=T0 + timedelta(i // 2))
    expected = [f"c{i:02}" for i in (9, 8, 7, 6, 5, 4, 3, 2, 1, 0)]
    seen: list[str] = []
    after: str | None = None
    while page := await repository.list_competitions(db, limit=3, after_id=after):
        seen += [c.id for c in page]
        after = page[-1].id
    assert seen == expected
    running = await repository.list_competitions(db, status=S.RUNNING, limit=4)
    assert [c.id for c in running] == ["c08", "c07", "c05", "c04"]
    more = await repository.list_competitions(db, status="RUNNING", limit=4, after_id="c04")
    assert [c.id for c in more] == ["c02", "c01"]
    with pytest.raises(ArenaError) as error:
        await repository.list_competitions(db, after_id="nope")
    assert error.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(ArenaError):
        await repository.list_competitions(db, limit=0)


async def test_get_competition_entrants_and_last_round(db: Database) -> None:
    recorder = Recorder(db)
    birth = created("c1", names=("zeta", "alpha", "mid"))
    await recorder.record([birth])
    assert await repository.get_competition(db, "missing") is None
    assert await repository.last_round(db, "missing") is None
    assert await repository.last_round(db, "c1") == 0
    assert [e.name for e in await repository.list_entrants(db, "c1")] == ["zeta", "alpha", "mid"]
    agents = [e.agent_id for e in birth.entrants]
    await recorder.record([round_completed("c1", r, T0 + timedelta(seconds=r), agents) for r in (1, 2, 3)])
    async with db.session() as session:  # several reads in one session
        assert await repository.last_round(session, "c1") == 3
        assert (await repository.get_competition(session, "c1")).round == 3  # type: ignore[union-attr]


async def test_wins_by_agent_name_counts_finished_competitions(db: Database) -> None:
    recorder = Recorder(db)
    names = ("momentum", "balanced")
    for cid, winner, status in [("a", "momentum", S.FINISHED), ("b", "balanced", S.FINISHED),
                                ("c", "momentum", S.FINISHED), ("d", "balanced", S.STOPPED)]:
        agents = [agent_id(cid, n) for n in (winner, *(n for n in names if n != winner))]
        await recorder.record([created(cid, names=names), finished(cid, 5, T0, agents, status)])
    await _competition_in(recorder, "e", S.RUNNING)
    assert await repository.wins_by_agent_name(db) == {"momentum": 2, "balanced": 1}


# --- equity -----------------------------------------------------------------------


async def test_latest_snapshots_is_the_last_standing_per_agent(db: Database) -> None:
    recorder = Recorder(db)
    birth = created("c1")
    agents = [e.agent_id for e in birth.entrants]
    await recorder.record([birth])
    for r in range(1, 6):
        # the last agent drops out of the leaderboard after round 2
        board = agents if r <= 2 else agents[:-1]
        await recorder.record([round_completed("c1", r, T0 + timedelta(seconds=r), list(reversed(board)))])
    latest = await repository.latest_snapshots(db, "c1")
    assert [(s.agent_id, s.round, s.rank) for s in latest] == [
        (agents[2], 5, 1), (agents[1], 5, 2), (agents[0], 5, 3), (agents[3], 2, 1)]
    assert await repository.latest_snapshots(db, "other") == []


async def test_equity_history_filters_by_time_and_keeps_the_latest(db: Database) -> None:
    recorder = Recorder(db)
    birth = created("c1", names=("momentum",))
    agent = birth.entrants[0].agent_id
    await recorder.record([birth])
    await recorder.record([round_completed("c1", r, T0 + timedelta(minutes=r), [agent]) for r in range(1, 21)])
    history = await repository.equity_history(db, agent)
    assert [h.round for h in history] == list(range(1, 21))
    window = await repository.equity_history(db, agent, since=T0 + timedelta(minutes=5), until=T0 + timedelta(minutes=9))
    assert [h.round for h in window] == [5, 6, 7, 8]
    assert [h.round for h in await repository.equity_history(db, agent, limit=3)] == [18, 19, 20]
    assert await repository.equity_history(db, "nobody") == []


# --- fills ------------------------------------------------------------------------


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
    while page := await repository.list_fills(db, limit=limit, newest_first=newest_first, **cursor, **filters):
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
        c1 = [f.id for f in await repository.list_fills(session, competition_id="c1", newest_first=False, limit=1000)]
    assert await _walk(db, newest_first=True, limit=limit, competition_id="c1") == c1[::-1]
    assert len(c1) == await repository.count_fills(db, competition_id="c1") == 60


async def test_fill_pages_stay_stable_while_fills_arrive(db: Database) -> None:
    recorder = Recorder(db)
    ledgers = await _fill_world(recorder, 100)
    first = await repository.list_fills(db, limit=15)
    ids_before = [f.id for f in first]
    await recorder.record(ledgers[0].fills(12))  # new fills land between page requests
    older = await repository.list_fills(db, limit=15, before_id=first[-1].id)
    assert [f.id for f in older] == list(range(ids_before[-1] - 1, ids_before[-1] - 16, -1))  # no gap, no repeat
    # walking back up from the first page finds exactly the new fills, then nothing
    newer = await repository.list_fills(db, limit=5, after_id=first[0].id)
    assert [f.id for f in newer] == list(range(first[0].id + 5, first[0].id, -1))  # type: ignore[operator]
    newer_still = await repository.list_fills(db, limit=50, after_id=newer[0].id)
    assert [f.id for f in newer_still] == list(range(first[0].id + 12, first[0].id + 5, -1))  # type: ignore[operator]
    assert await repository.list_fills(db, after_id=newer_still[0].id) == []
    # the same, oldest first
    asc = await repository.list_fills(db, limit=4, after_id=first[0].id, newest_first=False)
    assert [f.id for f in asc] == list(range(first[0].id + 1, first[0].id + 5))  # type: ignore[operator]
    # both cursors: the page right below before_id
    between = await repository.list_fills(db, limit=3, after_id=10, before_id=20)
    assert [f.id for f in between] == [19, 18, 17]


async def test_fill_filters_and_counts(db: Database) -> None:
    ledgers = await _fill_world(Recorder(db), 60)
    agent = ledgers[1].agents[0]
    fills = await repository.list_fills(db, agent_id=agent, symbol="BTC-USD", limit=1000)
    assert fills and all(f.agent_id == agent and f.symbol == "BTC-USD" for f in fills)
    assert await repository.count_fills(db, agent_id=agent, symbol="BTC-USD") == len(fills)
    assert await repository.count_fills(db) == 60
    assert await repository.count_fills(db, symbol="DOGE-USD") == 0


# --- prices -----------------------------------------------------------------------


async def test_latest_prices_takes_the_newest_tick_per_symbol(db: Database) -> None:
    recorder = Recorder(db)
    await recorder.record([quotes(None, None, T0 + timedelta(seconds=5), {"BTC-USD": Decimal("2"), "ETH-USD": Decimal("20")})])
    await recorder.record([quotes(None, None, T0, {"BTC-USD": Decimal("1"), "SOL-USD": Decimal("100")})])
    await recorder.record([quotes(None, None, T0 + timedelta(seconds=5), {"BTC-USD": Decimal("3.0")})])  # same time: later wins
    latest = await repository.latest_prices(db)
    assert [(t.symbol, t.price, t.timestamp) for t in latest] == [
        ("BTC-USD", Decimal("3.0"), T0 + timedelta(seconds=5)),
        ("ETH-USD", Decimal("20"), T0 + timedelta(seconds=5)),
        ("SOL-USD", Decimal("100"), T0),
    ]


def _brute_candles(
    symbol: str, ticks: list[tuple[str, datetime, Decimal, Decimal | None]], since: datetime, until: datetime,
    seconds: int,
) -> list[Candle]:
    width = timedelta(seconds=seconds)
    buckets: dict[int, list[tuple[datetime, int, Decimal, Decimal | None]]] = defaultdict(list)
    for order, (sym, at, price, volume) in enumerate(ticks):
        if sym == symbol and since <= at < until:
            buckets[(at - EPOCH) // width].append((at, order, price, volume))
    candles = []
    for index in sorted(buckets):
        rows = sorted(buckets[index], key=lambda r: (r[0], r[1]))
        prices = [r[2] for r in rows]
        candles.append(Candle(
            symbol, EPOCH + index * width, EPOCH + (index + 1) * width, prices[0], max(prices), min(prices),
            prices[-1], sum((r[3] for r in rows if r[3] is not None), Decimal(0)), len(rows)))
    return candles


async def _record_ticks(db: Database, ticks: list[tuple[str, datetime, Decimal, Decimal | None]]) -> None:
    events = [
        QuotesReceived(None, None, QuoteBatch(at, (Quote(symbol, price, at, volume=volume),)))
        for symbol, at, price, volume in ticks
    ]
    await Recorder(db).record(events)


BASE = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
tick_lists = st.lists(
    st.tuples(
        st.sampled_from(["BTC-USD", "ETH-USD"]),
        st.integers(0, 3 * 3600 * 10**6).map(lambda us: BASE + timedelta(microseconds=us)),
        st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("99999"), places=8),
        st.none() | st.decimals(min_value=0, max_value=1000, places=4),
    ),
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(
    ticks=tick_lists,
    seconds=st.sampled_from([1, 7, 60, 300, 900, 3600, 86400]),
    window=st.tuples(st.integers(-600, 4 * 3600), st.integers(0, 4 * 3600)),
)
def test_candles_match_a_brute_force_computation(
    tmp_path_factory: pytest.TempPathFactory,
    ticks: list[tuple[str, datetime, Decimal, Decimal | None]],
    seconds: int,
    window: tuple[int, int],
) -> None:
    since = BASE + timedelta(seconds=window[0])
    until = since + timedelta(seconds=window[1])

    async def scenario() -> list[Candle]:
        db = Database.from_path(tmp_path_factory.mktemp("candles") / "arena.db")
        try:
            await db.init()
            await _record_ticks(db, ticks)
            return await repository.price_candles(db, "BTC-USD", since, until, seconds)
        finally:
            await db.close()

    assert asyncio.run(scenario()) == _brute_candles("BTC-USD", ticks, since, until, seconds)


async def test_candles_over_many_ticks(db: Database) -> None:
    rng = random.Random(5)
    ticks = [
        (rng.choice(["BTC-USD", "ETH-USD"]), BASE + timedelta(milliseconds=rng.randrange(6 * 3600 * 1000)),
         Decimal(rng.randrange(1, 10**9)) / 10**4, None if rng.random() < 0.2 else Decimal(rng.randrange(10**6)) / 100)
        for _ in range(5000)
    ]
    await _record_ticks(db, ticks)
    since, until = BASE + timedelta(minutes=17), BASE + timedelta(hours=5, minutes=3)
    candles = await repository.price_candles(db, "BTC-USD", since, until, 300)
    assert candles == _brute_candles("BTC-USD", ticks, since, until, 300)
    assert candles[0].start.tzinfo is not None
    assert sum(c.ticks for c in candles) == sum(1 for s, at, _, _ in ticks if s == "BTC-USD" and since <= at < until)
    assert await repository.price_candles(db, "BTC-USD", until, since, 300) == []
    with pytest.raises(ArenaError):
        await repository.price_candles(db, "BTC-USD", since, until, 0)


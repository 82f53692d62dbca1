"""Price ticks: the latest per symbol of a feed, candles, and feeds kept apart."""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arena.domain.events import QuotesReceived
from arena.domain.market import Quote, QuoteBatch
from arena.errors import ArenaError
from arena.store import prices
from arena.store.candles import Candle
from arena.store.columns import EPOCH
from arena.store.db import Database
from arena.store.recorder import Recorder
from tests.store.store_builders import (
    MARKET,
    T0,
    created,
    quotes,
)


async def test_latest_prices_takes_the_newest_tick_per_symbol(db: Database) -> None:
    recorder = Recorder(db)
    await recorder.record(
        [quotes(None, None, T0 + timedelta(seconds=5), {"BTC-USD": Decimal("2"), "ETH-USD": Decimal("20")})]
    )
    await recorder.record([quotes(None, None, T0, {"BTC-USD": Decimal("1"), "SOL-USD": Decimal("100")})])
    await recorder.record(
        [quotes(None, None, T0 + timedelta(seconds=5), {"BTC-USD": Decimal("3.0")})]
    )  # same time: later wins
    latest = await prices.latest_quotes(db, MARKET)
    assert [(t.symbol, t.price, t.timestamp) for t in latest] == [
        ("BTC-USD", Decimal("3.0"), T0 + timedelta(seconds=5)),
        ("ETH-USD", Decimal("20"), T0 + timedelta(seconds=5)),
        ("SOL-USD", Decimal("100"), T0),
    ]


def _brute_candles(
    symbol: str,
    ticks: list[tuple[str, datetime, Decimal, Decimal | None]],
    since: datetime,
    until: datetime,
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
        candles.append(
            Candle(
                symbol,
                EPOCH + index * width,
                EPOCH + (index + 1) * width,
                prices[0],
                max(prices),
                min(prices),
                prices[-1],
                sum((r[3] for r in rows if r[3] is not None), Decimal(0)),
                len(rows),
            )
        )
    return candles


async def _record_ticks(db: Database, ticks: list[tuple[str, datetime, Decimal, Decimal | None]]) -> None:
    events = [
        QuotesReceived(MARKET, None, None, QuoteBatch(at, (Quote(symbol, price, at, volume=volume),)))
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
            return await prices.price_candles(db, MARKET, "BTC-USD", since, until, seconds)
        finally:
            await db.close()

    assert asyncio.run(scenario()) == _brute_candles("BTC-USD", ticks, since, until, seconds)


async def test_candles_over_many_ticks(db: Database) -> None:
    rng = random.Random(5)
    ticks = [
        (
            rng.choice(["BTC-USD", "ETH-USD"]),
            BASE + timedelta(milliseconds=rng.randrange(6 * 3600 * 1000)),
            Decimal(rng.randrange(1, 10**9)) / 10**4,
            None if rng.random() < 0.2 else Decimal(rng.randrange(10**6)) / 100,
        )
        for _ in range(5000)
    ]
    await _record_ticks(db, ticks)
    since, until = BASE + timedelta(minutes=17), BASE + timedelta(hours=5, minutes=3)
    candles = await prices.price_candles(db, MARKET, "BTC-USD", since, until, 300)
    assert candles == _brute_candles("BTC-USD", ticks, since, until, 300)
    assert candles[0].start.tzinfo is not None
    assert sum(c.ticks for c in candles) == sum(1 for s, at, _, _ in ticks if s == "BTC-USD" and since <= at < until)
    assert await prices.price_candles(db, MARKET, "BTC-USD", until, since, 300) == []
    with pytest.raises(ArenaError):
        await prices.price_candles(db, MARKET, "BTC-USD", since, until, 0)


async def test_feeds_are_kept_apart(db: Database) -> None:
    """A competition's own simulation may use the shared market's symbol names: its ticks never mix in."""
    recorder = Recorder(db)
    await recorder.record([created("c1")])
    await recorder.record([quotes(None, None, T0, {"BTC-USD": Decimal("100")})])
    await recorder.record([quotes("c1", 1, T0 + timedelta(seconds=1), {"BTC-USD": Decimal("7")})])
    await recorder.record([quotes(None, None, T0 + timedelta(seconds=2), {"BTC-USD": Decimal("101")})])
    assert [q.price for q in await prices.latest_quotes(db, MARKET)] == [Decimal("101")]
    assert [q.price for q in await prices.latest_quotes(db, "competition:c1")] == [Decimal("7")]
    assert await prices.latest_quotes(db, "no-such-feed") == []
    until = T0 + timedelta(minutes=1)
    market = await prices.price_candles(db, MARKET, "BTC-USD", T0, until, 60)
    own = await prices.price_candles(db, "competition:c1", "BTC-USD", T0, until, 60)
    assert [(c.open, c.close, c.ticks) for c in market] == [(Decimal("100"), Decimal("101"), 2)]
    assert [(c.open, c.close, c.ticks) for c in own] == [(Decimal("7"), Decimal("7"), 1)]
    assert await prices.final_prices(db, "c1") == {"BTC-USD": Decimal("7")}

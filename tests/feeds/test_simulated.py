"""SimulatedFeed: a seeded, reproducible geometric Brownian motion."""

from __future__ import annotations

import math
import statistics
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from itertools import islice, pairwise

import pytest

from arena.domain.market import QuoteBatch
from arena.errors import ArenaError, ErrorCode
from arena.feeds.base import FeedKind
from arena.feeds.simulated import (
    DEFAULT_SIM_SYMBOLS,
    SECONDS_PER_YEAR,
    SimSymbol,
    SimulatedFeed,
    default_sim_symbol,
)

START = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def take(feed: SimulatedFeed, count: int) -> list[QuoteBatch]:
    return list(islice(feed.batches(), count))


def log_returns(batches: list[QuoteBatch], symbol: str) -> list[float]:
    prices = [float(b.by_symbol()[symbol].price) for b in batches]
    return [math.log(b / a) for a, b in pairwise(prices)]


def test_the_same_seed_gives_the_identical_sequence() -> None:
    first = take(SimulatedFeed(None, seed=7, start=START), 500)
    second = take(SimulatedFeed(None, seed=7, start=START), 500)
    assert first == second


def test_batches_restart_from_the_beginning_on_each_call() -> None:
    feed = SimulatedFeed(None, seed=7, start=START)
    assert take(feed, 300) == take(feed, 300)


def test_a_different_seed_gives_a_different_sequence() -> None:
    a = take(SimulatedFeed(None, seed=1, start=START), 50)
    b = take(SimulatedFeed(None, seed=2, start=START), 50)
    assert [q.price for q in a[0].quotes] == [q.price for q in b[0].quotes]  # the start prices
    assert [q.price for x in a[1:] for q in x.quotes] != [q.price for x in b[1:] for q in x.quotes]


def test_defaults_are_btc_eth_sol_at_realistic_prices() -> None:
    feed = SimulatedFeed(None, seed=42, start=START)
    assert feed.info.symbols == ("BTC-USD", "ETH-USD", "SOL-USD")
    first = take(feed, 1)[0].by_symbol()
    assert first["BTC-USD"].price == Decimal("65000.00")
    assert first["ETH-USD"].price == Decimal("3400.00")
    assert first["SOL-USD"].price == Decimal("150.00")
    vols = {spec.symbol: spec.volatility for spec in DEFAULT_SIM_SYMBOLS}
    assert vols["BTC-USD"] < vols["ETH-USD"] < vols["SOL-USD"]


def test_info_describes_the_simulation() -> None:
    info = SimulatedFeed(["BTC-USD"], seed=42, step_seconds=60.0).info
    assert info.kind is FeedKind.SIMULATED
    assert info.seed == 42
    assert info.symbols == ("BTC-USD",)
    assert info.description == "Simulated GBM, seed 42, 60s steps"


def test_unknown_names_get_a_generic_instrument() -> None:
    doge = default_sim_symbol("DOGE-USD")
    assert (doge.symbol, doge.start_price, doge.volatility, doge.drift) == ("DOGE-USD", Decimal(100), 0.8, 0.0)
    assert default_sim_symbol("ETH-USD") == DEFAULT_SIM_SYMBOLS[1]
    feed = SimulatedFeed(["DOGE-USD", "BTC-USD"], seed=3, start=START)
    first = take(feed, 1)[0].by_symbol()
    assert first["DOGE-USD"].price == Decimal("100.00")
    assert first["BTC-USD"].price == Decimal("65000.00")


def test_timestamps_step_by_step_seconds_in_utc() -> None:
    batches = take(SimulatedFeed(None, seed=5, step_seconds=15, start=START), 100)
    for index, batch in enumerate(batches):
        assert batch.timestamp == START + timedelta(seconds=15 * index)
        assert batch.timestamp.utcoffset() == timedelta(0)
        assert all(q.timestamp == batch.timestamp for q in batch.quotes)
        assert [q.symbol for q in batch.quotes] == ["BTC-USD", "ETH-USD", "SOL-USD"]


def test_an_aware_start_is_converted_to_utc_and_a_naive_one_refused() -> None:
    plus_two = datetime(2024, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    assert SimulatedFeed(None, seed=1, start=plus_two).start == START
    assert SimulatedFeed(None, seed=1, start=plus_two).start.tzinfo is UTC
    with pytest.raises(ArenaError) as caught:
        SimulatedFeed(None, seed=1, start=datetime(2024, 5, 1))
    assert caught.value.code is ErrorCode.INVALID_CONFIG


def test_the_default_start_is_now_in_utc_to_the_second() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    start = SimulatedFeed(None, seed=1).start
    assert start.tzinfo is UTC and start.microsecond == 0
    assert before <= start <= datetime.now(UTC)


def test_prices_and_volumes_are_positive_rounded_decimals() -> None:
    wild = SimSymbol("PENNY", Decimal("0.02"), drift=-20.0, volatility=4.0, decimals=2)
    fine = SimSymbol("FINE", Decimal("1.2345"), drift=0.0, volatility=0.5, decimals=4)
    for batch in take(SimulatedFeed([wild, fine], seed=9, step_seconds=3600, start=START), 2000):
        for quote in batch.quotes:
            assert isinstance(quote.price, Decimal) and quote.price > 0
            assert isinstance(quote.volume, Decimal) and quote.volume > 0
            places = 2 if quote.symbol == "PENNY" else 4
            assert quote.price == quote.price.quantize(Decimal(1).scaleb(-places))


def test_log_return_std_matches_volatility_times_sqrt_dt() -> None:
    step_seconds = 60.0
    spec = SimSymbol("X", Decimal("1000"), drift=0.0, volatility=0.5, decimals=8)
    returns = log_returns(take(SimulatedFeed([spec], seed=11, step_seconds=step_seconds, start=START), 20_001), "X")
    expected = spec.volatility * math.sqrt(step_seconds / SECONDS_PER_YEAR)
    # the sample std of 20,000 normal draws is within ~0.5% (one standard error) of sigma
    assert statistics.stdev(returns) == pytest.approx(expected, rel=0.03)


def test_log_return_mean_follows_the_drift() -> None:
    step_seconds = 86400.0
    spec = SimSymbol("X", Decimal("1"), drift=5.0, volatility=0.2, decimals=8)
    returns = log_returns(take(SimulatedFeed([spec], seed=12, step_seconds=step_seconds, start=START), 1_501), "X")
    dt = step_seconds / SECONDS_PER_YEAR
    expected = (spec.drift - spec.volatility**2 / 2) * dt
    # standard error of the mean is sigma*sqrt(dt)/sqrt(1500) ~ 2.7e-4; 10% of the mean is ~5 of them
    # (1,500 daily steps grow the price ~1e9-fold, well below the 1e15 ceiling)
    assert statistics.fmean(returns) == pytest.approx(expected, rel=0.10)


def test_change_pct_is_against_the_price_24h_of_feed_time_earlier() -> None:
    batches = take(SimulatedFeed(["BTC-USD"], seed=4, step_seconds=3600, start=START), 60)
    prices = [b.quotes[0].price for b in batches]
    assert batches[0].quotes[0].change_pct == 0.0
    assert batches[10].quotes[0].change_pct == pytest.approx((float(prices[10]) / float(prices[0]) - 1) * 100)
    assert batches[50].quotes[0].change_pct == pytest.approx((float(prices[50]) / float(prices[26]) - 1) * 100)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"symbols": ["A", "A"]},
        {"step_seconds": 0},
        {"step_seconds": float("nan")},
    ],
)
def test_bad_configuration_is_refused(kwargs: dict[str, object]) -> None:
    arguments: dict[str, object] = {"symbols": None, "seed": 1, **kwargs}
    with pytest.raises(ArenaError) as caught:
        SimulatedFeed(**arguments)  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.INVALID_CONFIG


@pytest.mark.parametrize(
    "fields",
    [
        ("", Decimal(1), 0.0, 0.5),
        ("A", Decimal(0), 0.0, 0.5),
        ("A", Decimal(1), 0.0, -0.1),
        ("A", Decimal(1), float("inf"), 0.1),
    ],
)
def test_bad_sim_symbols_are_refused(fields: tuple[str, Decimal, float, float]) -> None:
    with pytest.raises(ArenaError):
        SimSymbol(*fields)

"""build_feed: the feed a FeedSpec asks for."""

from __future__ import annotations

from itertools import islice

from arena.feeds.base import FeedKind
from arena.feeds.factory import build_feed
from arena.feeds.replay import ReplayFeed
from arena.feeds.simulated import SimulatedFeed
from arena.feeds.spec import FeedMode, FeedSpec
from tests.feeds.conftest import WriteFile

BARS = "timestamp,open,high,low,close,volume\n2022-01-01 00:00:00,1,1,1,1,1\n2022-01-01 00:01:00,1,1,1,2,1\n"


def test_sim_defaults_to_btc_eth_sol() -> None:
    feed = build_feed(FeedSpec())
    assert isinstance(feed, SimulatedFeed)
    assert feed.info.kind is FeedKind.SIMULATED
    assert feed.info.symbols == ("BTC-USD", "ETH-USD", "SOL-USD")
    assert feed.info.seed == 42


def test_sim_takes_the_spec_symbols_then_the_given_ones() -> None:
    spec = FeedSpec.parse("sim:7")
    assert build_feed(spec, ("DOGE-USD",)).info.symbols == ("DOGE-USD",)
    named = FeedSpec(FeedMode.SIM, seed=7, symbols=("ETH-USD",), step_seconds=5.0)
    feed = build_feed(named, ("DOGE-USD",))
    assert feed.info.symbols == ("ETH-USD",)
    assert feed.info.seed == 7
    first, second = islice(feed.batches(), 2)
    assert (second.timestamp - first.timestamp).total_seconds() == 5.0


def test_replay_reads_the_paths(write_file: WriteFile) -> None:
    a = write_file("AAA-1m.csv", BARS)
    b = write_file("BBB-1m.csv", BARS)
    feed = build_feed(FeedSpec.parse(f"replay:{a},{b}"), ("IGNORED",))
    assert isinstance(feed, ReplayFeed)
    assert feed.info.symbols == ("AAA", "BBB")
    named = build_feed(FeedSpec(FeedMode.REPLAY, paths=(str(a),), symbols=("X",)))
    assert named.info.symbols == ("X",)

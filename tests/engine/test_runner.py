"""The async runner: commands, the shared market feed, pacing modes, sinks in order."""

import asyncio

import pytest

from arena.domain.events import (
    CompetitionCreated,
    CompetitionFinished,
    CompetitionStatus as S,
    OrderFilled,
    QuotesReceived,
    RoundCompleted,
    StateChanged,
)
from arena.engine.config import SpeedMode, SpeedSpec
from arena.engine.runner import ArenaRunner
from arena.errors import ArenaError, ErrorCode
from arena.feeds.simulated import SimulatedFeed

from .helpers import CollectingSink, sim_config


async def wait_for(predicate, timeout: float = 5.0) -> None:
    async def poll():
        while not predicate():
            await asyncio.sleep(0.001)
    await asyncio.wait_for(poll(), timeout)


async def test_headless_competition_runs_to_its_round_limit_and_finishes():
    sink = CollectingSink()
    runner = ArenaRunner([sink])
    competition = await runner.start(sim_config(rounds=150))
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(runner.finished.wait(), 10)
    runner.request_shutdown()
    await task
    assert competition.status is S.FINISHED and competition.round == 150
    kinds = [type(e) for e in sink.events]
    assert kinds[0] is CompetitionCreated and kinds[1] is StateChanged
    assert kinds[-1] is CompetitionFinished
    assert len(sink.of(RoundCompleted)) == 150
    assert sink.of(OrderFilled), "the built-in agents trade on the simulated feed"


async def test_invalid_commands_give_codes_not_crashes():
    runner = ArenaRunner([CollectingSink()], market_feed=SimulatedFeed(None, seed=1), market_speed=SpeedSpec(SpeedMode.MAX))
    for command, code in ((runner.pause, ErrorCode.NO_COMPETITION), (runner.resume, ErrorCode.NO_COMPETITION),
                          (runner.stop, ErrorCode.NO_COMPETITION)):
        with pytest.raises(ArenaError) as err:
            await command()
        assert err.value.code is code
    await runner.start(sim_config(feed=None, rounds=None))
    with pytest.raises(ArenaError) as err:
        await runner.start(sim_config(feed=None))
    assert err.value.code is ErrorCode.ALREADY_RUNNING
    with pytest.raises(ArenaError) as err:
        await runner.resume()
    assert err.value.code is ErrorCode.ALREADY_RUNNING
    await runner.pause()
    with pytest.raises(ArenaError) as err:
        await runner.pause()
    assert err.value.code is ErrorCode.PAUSED
    await runner.stop()
    with pytest.raises(ArenaError) as err:
        await runner.stop()
    assert err.value.code is ErrorCode.NOT_RUNNING
    with pytest.raises(ArenaError) as err:
        await runner.start(sim_config(feed=None, symbols=("DOGE-USD",)))
    assert err.value.code is ErrorCode.UNKNOWN_SYMBOL


async def test_pausing_on_the_shared_market_stops_trades_while_prices_go_on():
    sink = CollectingSink()
    runner = ArenaRunner([sink], market_feed=SimulatedFeed(None, seed=2), market_speed=SpeedSpec(SpeedMode.REALTIME, interval_s=0.002))
    task = asyncio.create_task(runner.run())
    await wait_for(lambda: len(sink.of(QuotesReceived)) >= 3)
    assert all(e.competition_id is None for e in sink.of(QuotesReceived)), "prices stream with no competition"
    competition = await runner.start(sim_config(feed=None, rounds=None))
    await wait_for(lambda: competition.round >= 20)
    await runner.pause()
    paused_round = competition.round
    quotes_before = len(sink.of(QuotesReceived))
    await wait_for(lambda: len(sink.of(QuotesReceived)) >= quotes_before + 10)
    assert competition.round == paused_round, "no rounds while paused"
    fills_at_pause = len(sink.of(OrderFilled))
    await runner.resume()
    await wait_for(lambda: competition.round >= paused_round + 10)
    await runner.stop()
    assert competition.status is S.STOPPED
    rounds_after_stop = competition.round
    await wait_for(lambda: len(sink.of(QuotesReceived)) >= quotes_before + 30)
    assert competition.round == rounds_after_stop
    runner.request_shutdown()
    await asyncio.wait_for(task, 5)
    assert len(sink.of(OrderFilled)) >= fills_at_pause


async def test_pausing_a_competition_that_owns_its_feed_pauses_the_feed():
    sink = CollectingSink()
    runner = ArenaRunner([sink])
    competition = await runner.start(sim_config(rounds=None, speed=SpeedSpec(SpeedMode.REALTIME, interval_s=0.002)))
    task = asyncio.create_task(runner.run())
    await wait_for(lambda: competition.round >= 5)
    await runner.pause()
    quotes = len(sink.of(QuotesReceived))
    # let the loop go round: it must park rather than play
    for _ in range(50):
        await asyncio.sleep(0)
    assert len(sink.of(QuotesReceived)) == quotes
    await runner.resume()
    await wait_for(lambda: competition.round >= 10)
    await runner.stop()
    runner.request_shutdown()
    await asyncio.wait_for(task, 5)


async def test_duration_finishes_a_competition():
    runner = ArenaRunner([CollectingSink()])
    competition = await runner.start(sim_config(rounds=None, duration_s=0.05, speed=SpeedSpec(SpeedMode.REALTIME, interval_s=0.005)))
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(runner.finished.wait(), 5)
    runner.request_shutdown()
    await task
    assert competition.status is S.FINISHED and competition.round >= 1


async def test_shutdown_does_not_wait_out_a_long_round_interval():
    runner = ArenaRunner([CollectingSink()], market_feed=SimulatedFeed(None, seed=1),
                         market_speed=SpeedSpec(SpeedMode.REALTIME, interval_s=3600))
    task = asyncio.create_task(runner.run())
    await wait_for(lambda: "BTC-USD" in runner.latest)  # the first batch goes out at once; the next is an hour away
    runner.request_shutdown()
    await asyncio.wait_for(task, 2)

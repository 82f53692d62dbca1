"""The async runner: commands, the shared market feed, pacing modes, sinks in order.

Every wait is for an event the test expects, with a timeout; no test sleeps and hopes.
"""

import asyncio
import itertools

import pytest

from arena.app.outbox import EventOutbox, FlushPolicy
from arena.app.readers import ArenaReader
from arena.app.runner import ArenaRunner
from arena.domain.events import (
    CompetitionCreated,
    CompetitionFinished,
    CompetitionStatus,
    OrderFilled,
    QuotesReceived,
    RoundCompleted,
    StateChanged,
)
from arena.errors import ArenaError, ErrorCode
from arena.feeds.simulated import SimulatedFeed
from arena.feeds.spec import SpeedMode, SpeedSpec

from ..builders import CollectingSink, runner_with, sim_config

FAST = SpeedSpec(SpeedMode.REALTIME, interval_s=0.002)


def index_of(sink: CollectingSink, status: CompetitionStatus) -> int:
    """Where in the event stream the competition last went to `status`."""
    return max(i for i, e in enumerate(sink.events) if isinstance(e, StateChanged) and e.status is status)


async def test_headless_competition_runs_to_its_round_limit_and_finishes():
    sink = CollectingSink()
    runner = runner_with(sink)
    competition = await runner.start(sim_config(rounds=150))
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(runner.finished.wait(), 10)
    runner.request_shutdown()
    await task
    assert competition.status is CompetitionStatus.FINISHED and competition.round == 150
    kinds = [type(e) for e in sink.events]
    assert kinds[0] is CompetitionCreated and kinds[1] is StateChanged
    assert kinds[-1] is CompetitionFinished
    assert [e.round for e in sink.of(RoundCompleted)] == list(range(1, 151))
    assert sink.of(OrderFilled), "the built-in agents trade on the simulated feed"


async def test_invalid_commands_give_codes_not_crashes():
    runner = runner_with(
        CollectingSink(), market_feed=SimulatedFeed(None, seed=1), market_speed=SpeedSpec(SpeedMode.MAX)
    )
    for command, code in (
        (runner.pause, ErrorCode.NO_COMPETITION),
        (runner.resume, ErrorCode.NO_COMPETITION),
        (runner.stop, ErrorCode.NO_COMPETITION),
    ):
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
    runner = runner_with(sink, market_feed=SimulatedFeed(None, seed=2), market_speed=FAST)
    task = asyncio.create_task(runner.run())
    await sink.wait_for(lambda: len(sink.of(QuotesReceived)) >= 3, what="market ticks before any competition")
    assert all(e.competition_id is None and e.feed_id == "sim:2" for e in sink.of(QuotesReceived))
    competition = await runner.start(sim_config(feed=None, rounds=None))
    await sink.wait_for(lambda: len(sink.of(RoundCompleted)) >= 20, what="20 rounds")
    await runner.pause()
    paused_at = index_of(sink, CompetitionStatus.PAUSED)
    paused_round = competition.round
    await sink.wait_for(lambda: len(sink.of(QuotesReceived, paused_at)) >= 10, what="ticks while paused")
    while_paused = sink.events[paused_at:]
    assert not [e for e in while_paused if isinstance(e, (RoundCompleted, OrderFilled))], "no rounds, no trades"
    assert all(e.competition_id is None for e in while_paused if isinstance(e, QuotesReceived))
    assert competition.round == paused_round
    await runner.resume()
    resumed_at = index_of(sink, CompetitionStatus.RUNNING)
    await sink.wait_for(lambda: len(sink.of(RoundCompleted, resumed_at)) >= 10, what="10 rounds after resuming")
    assert [e.round for e in sink.of(RoundCompleted)][: paused_round + 10] == list(range(1, paused_round + 11))
    await runner.stop()
    stopped_at = index_of(sink, CompetitionStatus.STOPPED)
    await sink.wait_for(lambda: len(sink.of(QuotesReceived, stopped_at)) >= 10, what="ticks after the stop")
    assert not sink.of(RoundCompleted, stopped_at + 1) and not sink.of(OrderFilled, stopped_at + 1)
    runner.request_shutdown()
    await asyncio.wait_for(task, 5)


async def test_pausing_a_competition_that_owns_its_feed_pauses_the_feed():
    sink = CollectingSink()
    runner = runner_with(sink)
    competition = await runner.start(sim_config(rounds=None, speed=FAST))
    task = asyncio.create_task(runner.run())
    await sink.wait_for(lambda: competition.round >= 5, what="5 rounds")
    await runner.pause()
    paused_at = index_of(sink, CompetitionStatus.PAUSED)
    await asyncio.wait_for(runner.idle.wait(), 5)  # the loop parks: nothing to play until woken
    assert not sink.of(QuotesReceived, paused_at), "the feed is paused with the competition"
    await runner.resume()
    await sink.wait_for(lambda: competition.round >= 10, what="rounds after resuming")
    assert [e.round for e in sink.of(RoundCompleted)][:10] == list(range(1, 11))
    await runner.stop()
    runner.request_shutdown()
    await asyncio.wait_for(task, 5)


async def test_duration_finishes_a_competition():
    sink = CollectingSink()
    runner = runner_with(sink)
    competition = await runner.start(
        sim_config(rounds=None, duration_s=0.05, speed=SpeedSpec(SpeedMode.REALTIME, interval_s=0.005))
    )
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(runner.finished.wait(), 5)
    runner.request_shutdown()
    await task
    finished = [e for e in sink.of(StateChanged) if e.status is CompetitionStatus.FINISHED]
    assert [e.reason for e in finished] == ["duration reached"]
    assert runner.running_time.seconds >= 0.05
    assert competition.round == len(sink.of(RoundCompleted)) >= 1


async def test_shutdown_does_not_wait_out_a_long_round_interval():
    sink = CollectingSink()
    runner = runner_with(
        sink, market_feed=SimulatedFeed(None, seed=1), market_speed=SpeedSpec(SpeedMode.REALTIME, interval_s=3600)
    )
    task = asyncio.create_task(runner.run())
    # the first batch goes out at once; the next is an hour away
    await sink.wait_for(lambda: len(sink.of(QuotesReceived)) == 1, what="the first batch")
    runner.request_shutdown()
    await asyncio.wait_for(task, 2)
    assert len(sink.of(QuotesReceived)) == 1


async def test_pausing_its_own_feed_while_a_batch_waits_skips_no_batch():
    """The batch taken before a pause is played after it: a replay after a crash needs every one."""
    sink = CollectingSink()
    runner = runner_with(sink)
    competition = await runner.start(sim_config(rounds=None, speed=SpeedSpec(SpeedMode.REALTIME, interval_s=0.05)))
    task = asyncio.create_task(runner.run())
    for pause in range(3):  # each pause lands while the next batch waits for its turn
        rounds = 2 + 2 * pause
        await sink.wait_for(lambda rounds=rounds: len(sink.of(RoundCompleted)) >= rounds, what="rounds")
        await runner.pause()
        await asyncio.wait_for(runner.idle.wait(), 5)
        await runner.resume()
    await sink.wait_for(lambda: len(sink.of(RoundCompleted)) >= 10, what="10 rounds")
    await runner.stop()
    runner.request_shutdown()
    await asyncio.wait_for(task, 5)
    times = [e.batch.timestamp for e in sink.of(QuotesReceived) if e.competition_id == competition.id]
    steps = {(b - a).total_seconds() for a, b in itertools.pairwise(times)}
    assert steps == {60.0}, "one feed step between consecutive rounds: none skipped"


async def test_a_competition_is_finished_only_once_its_end_is_stored():
    refusing = asyncio.Event()
    refusing.set()
    stored: list = []

    async def store(events) -> None:
        if refusing.is_set() and any(isinstance(e, CompetitionFinished) for e in events):
            raise OSError("database or disk is full")
        stored.extend(events)

    runner = runner_with(store=store)
    await runner.start(sim_config(rounds=5))
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(_until(lambda: runner.outbox.failure is not None), 5)
    assert not runner.finished.is_set(), "the end is not stored yet"
    assert runner.end_pending and runner.competition.status is CompetitionStatus.FINISHED
    assert runner.status is CompetitionStatus.RUNNING, "the API shows the end once it is stored"
    reader = ArenaReader(runner, db=None)  # type: ignore[arg-type]
    assert reader.live() is None, "readers show the stored state until the end is stored"
    refusing.clear()
    await asyncio.wait_for(runner.finished.wait(), 10)
    assert any(isinstance(e, CompetitionFinished) for e in stored)
    assert not runner.end_pending and reader.live() is runner.competition
    assert runner.status is CompetitionStatus.FINISHED
    runner.request_shutdown()
    await asyncio.wait_for(task, 5)


async def _until(condition) -> None:
    while not condition():
        await asyncio.sleep(0.005)


async def test_at_max_speed_play_runs_ahead_of_a_commit_by_at_most_two_batches_and_publishes_after_it():
    gate, entered = asyncio.Event(), asyncio.Event()
    stored: list = []

    async def gated_store(events) -> None:
        entered.set()
        await gate.wait()
        stored.extend(events)

    sink = CollectingSink()
    runner = ArenaRunner(EventOutbox(gated_store, [sink], policy=FlushPolicy(rounds=50, seconds=60.0)))
    gate.set()  # the start is stored at once
    await runner.start(sim_config(rounds=400))
    gate.clear()
    entered.clear()
    task = asyncio.create_task(runner.run())
    await asyncio.wait_for(entered.wait(), 10)  # the first 50 rounds are being stored

    async def until_held() -> None:
        while runner.rounds_total < 150:
            await asyncio.sleep(0)

    await asyncio.wait_for(until_held(), 10)
    for _ in range(200):  # the loop gets every chance to run further: it must wait for the commit
        await asyncio.sleep(0)
    assert runner.rounds_total == 150  # 50 in flight + twice the policy computed meanwhile
    assert not sink.of(RoundCompleted), "nothing is published before its commit"
    gate.set()
    await asyncio.wait_for(runner.finished.wait(), 10)
    runner.request_shutdown()
    await task
    assert [e.round for e in sink.of(RoundCompleted)] == list(range(1, 401))
    assert sink.events == stored

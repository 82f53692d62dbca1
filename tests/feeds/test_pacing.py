"""Pacer: wall-time pacing on a fake clock, so no test really sleeps."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from arena.domain.market import QuoteBatch
from arena.feeds.pacing import Pacer
from arena.feeds.spec import SpeedMode, SpeedSpec

T0 = datetime(2024, 1, 1, tzinfo=UTC)


class FakeTime:
    """A monotonic clock that only moves when slept on or told to."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def work(self, seconds: float) -> None:
        self.now += seconds


def batch_at(seconds: float) -> QuoteBatch:
    return QuoteBatch(T0 + timedelta(seconds=seconds), ())


def pacer(speed: SpeedSpec, fake: FakeTime, **kwargs: object) -> Pacer:
    return Pacer(speed, sleep=fake.sleep, clock=fake.clock, **kwargs)  # type: ignore[arg-type]


async def test_realtime_releases_one_batch_per_interval() -> None:
    fake = FakeTime()
    pace = pacer(SpeedSpec(SpeedMode.REALTIME, interval_s=0.5), fake)
    for i in range(5):
        await pace.wait(batch_at(i))
    assert fake.sleeps == pytest.approx([0.5] * 4)


async def test_realtime_work_is_subtracted_so_drift_does_not_accumulate() -> None:
    fake = FakeTime()
    pace = pacer(SpeedSpec(SpeedMode.REALTIME, interval_s=1.0), fake)
    start = fake.now
    for i in range(11):
        await pace.wait(batch_at(i))
        fake.work(0.3)
    assert fake.sleeps == pytest.approx([0.7] * 10)
    assert fake.now - 0.3 == pytest.approx(start + 10.0)


async def test_realtime_late_sleep_wakeups_do_not_accumulate() -> None:
    fake = FakeTime()

    async def oversleep(seconds: float) -> None:
        fake.sleeps.append(seconds)
        fake.now += seconds + 0.05  # the loop wakes us late

    pace = Pacer(SpeedSpec(SpeedMode.REALTIME, interval_s=1.0), sleep=oversleep, clock=fake.clock)
    start = fake.now
    for i in range(6):
        await pace.wait(batch_at(i))
    assert fake.sleeps[1:] == pytest.approx([0.95] * 4)
    assert fake.now == pytest.approx(start + 5.05)  # one late wake-up, not five


async def test_realtime_behind_schedule_does_not_sleep_or_burst() -> None:
    fake = FakeTime()
    pace = pacer(SpeedSpec(SpeedMode.REALTIME, interval_s=1.0), fake)
    await pace.wait(batch_at(0))
    fake.work(5.0)  # a very slow round
    await pace.wait(batch_at(1))
    assert fake.sleeps == []
    await pace.wait(batch_at(2))  # re-anchored: a full interval later, not a catch-up burst
    assert fake.sleeps == pytest.approx([1.0])


async def test_realtime_a_slightly_slow_round_is_made_up_on_the_next() -> None:
    fake = FakeTime()
    pace = pacer(SpeedSpec(SpeedMode.REALTIME, interval_s=1.0), fake)
    await pace.wait(batch_at(0))
    fake.work(1.25)
    await pace.wait(batch_at(1))  # 0.25 s late: released at once, schedule kept
    await pace.wait(batch_at(2))
    assert fake.sleeps == pytest.approx([0.75])


async def test_factor_divides_feed_time() -> None:
    fake = FakeTime()
    pace = pacer(SpeedSpec(SpeedMode.FACTOR, factor=10.0), fake)
    for seconds in (0, 60, 120, 300, 300):
        await pace.wait(batch_at(seconds))
    assert fake.sleeps == pytest.approx([6.0, 6.0, 18.0])  # equal timestamps: no wait


async def test_factor_caps_a_gap_in_the_data() -> None:
    fake = FakeTime()
    pace = pacer(SpeedSpec(SpeedMode.FACTOR, factor=1.0), fake)
    await pace.wait(batch_at(0))
    await pace.wait(batch_at(2 * 86400))  # a weekend
    await pace.wait(batch_at(2 * 86400 + 30))
    assert fake.sleeps == pytest.approx([60.0, 30.0])
    capped = pacer(SpeedSpec(SpeedMode.FACTOR, factor=1.0), fake, max_step_s=5.0)
    await capped.wait(batch_at(0))
    await capped.wait(batch_at(3600))
    assert fake.sleeps[-1] == pytest.approx(5.0)


async def test_max_never_waits_but_yields_every_n_batches() -> None:
    fake = FakeTime()
    pace = pacer(SpeedSpec(SpeedMode.MAX), fake)
    for i in range(1000):
        await pace.wait(batch_at(i))
    assert fake.sleeps == [0, 0, 0]  # after batches 256, 512 and 768
    few = pacer(SpeedSpec(SpeedMode.MAX), fake, yield_every=10)
    for i in range(25):
        await few.wait(batch_at(i))
    assert fake.sleeps[3:] == [0, 0]


async def test_reset_after_a_pause_does_not_catch_up() -> None:
    fake = FakeTime()
    pace = pacer(SpeedSpec(SpeedMode.FACTOR, factor=2.0), fake)
    await pace.wait(batch_at(0))
    await pace.wait(batch_at(10))
    fake.work(300.0)  # paused
    pace.reset()
    await pace.wait(batch_at(20))  # goes at once and re-anchors
    await pace.wait(batch_at(30))
    assert fake.sleeps == pytest.approx([5.0, 5.0])


async def test_realtime_reset_restarts_the_schedule() -> None:
    fake = FakeTime()
    pace = pacer(SpeedSpec(SpeedMode.REALTIME, interval_s=2.0), fake)
    await pace.wait(batch_at(0))
    fake.work(0.5)
    pace.reset()
    await pace.wait(batch_at(1))
    await pace.wait(batch_at(2))
    assert fake.sleeps == pytest.approx([2.0])


def test_bad_pacer_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Pacer(SpeedSpec(SpeedMode.MAX), yield_every=0)
    with pytest.raises(ValueError):
        Pacer(SpeedSpec(SpeedMode.FACTOR), max_step_s=0)


async def test_the_defaults_use_the_real_event_loop() -> None:
    pace = Pacer(SpeedSpec(SpeedMode.MAX), yield_every=2)
    other_ran = asyncio.Event()

    async def other() -> None:
        other_ran.set()

    task = asyncio.create_task(other())
    for i in range(4):
        await pace.wait(batch_at(i))
    assert other_ran.is_set()  # the max-speed loop let another task run
    await task
    realtime = Pacer(SpeedSpec(SpeedMode.REALTIME, interval_s=0.001))
    await realtime.wait(batch_at(0))
    await realtime.wait(batch_at(1))

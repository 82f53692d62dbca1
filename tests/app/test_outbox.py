"""The event outbox: record, then publish; a refused batch is kept in order and retried with backoff."""

from __future__ import annotations

import asyncio

import pytest

from arena.app.outbox import Backoff, EventOutbox, FlushPolicy


class OperationalError(Exception):
    """Stands in for the database driver's error."""


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class FlakyStore:
    """An in-memory store that refuses the first `fails` batches, then commits every batch it is given."""

    def __init__(self, fails: int = 0, reason: str = "database or disk is full") -> None:
        self.fails = fails
        self.reason = reason
        self.attempts: list[list] = []  # every batch it was offered, refused or not
        self.stored: list = []
        self.refused = asyncio.Event()

    async def __call__(self, events) -> None:
        self.attempts.append(list(events))
        if len(self.attempts) <= self.fails:
            self.refused.set()
            raise OperationalError(f"{self.reason}\nsecond line of the driver's message")
        self.stored.extend(events)


class Listener:
    """An `after` sink that notes, for every event it sees, whether the store already had it."""

    def __init__(self, store: FlakyStore) -> None:
        self.store = store
        self.seen: list = []
        self.unstored: list = []

    async def __call__(self, events) -> None:
        self.unstored.extend(e for e in events if e not in self.store.stored)
        self.seen.extend(events)


class Ticket:
    def __init__(self, store: FlakyStore, needs: list) -> None:
        self.store = store
        self.needs = needs  # the events that must be stored before this ticket is settled
        self.settled: list = []
        self.stored_at_settle: bool | None = None

    def settle(self, outcome) -> None:
        self.stored_at_settle = all(e in self.store.stored for e in self.needs)
        self.settled.append(outcome)


async def test_a_refused_batch_is_kept_in_order_and_reported_until_the_store_takes_it():
    clock = FakeClock(1000.0)
    store = FlakyStore(fails=2)
    listener = Listener(store)
    outbox = EventOutbox(store, [listener], monotonic=clock)
    ticket = Ticket(store, ["e1", "e2"])

    outbox.add(["e1", "e2"])
    outbox.add_outcomes([(ticket, "fill-1"), (None, "nobody waits for this")])
    assert outbox.healthy and outbox.failure is None

    assert await outbox.flush() is False
    failure = outbox.failure
    assert failure.reason == "OperationalError: database or disk is full"  # first line only
    assert (failure.attempts, failure.since, failure.waiting) == (1, 1000.0, 2)
    assert not outbox.healthy and outbox.pending == 2

    clock.now = 1003.0
    outbox.add(["e3"])  # newer events queue up behind the refused batch
    assert await outbox.flush() is False
    failure = outbox.failure
    # the second attempt offers the old batch first; `since` stays at the first failure
    assert (failure.attempts, failure.since, failure.waiting) == (2, 1000.0, 3)
    assert store.attempts == [["e1", "e2"], ["e1", "e2", "e3"]]
    assert listener.seen == [] and ticket.settled == []  # nothing went on before it was stored

    clock.now = 1010.0
    assert await outbox.flush() is True
    assert store.stored == ["e1", "e2", "e3"]
    assert outbox.failure is None and outbox.healthy and outbox.pending == 0
    assert listener.seen == ["e1", "e2", "e3"]  # each once, in order
    assert listener.unstored == []
    assert ticket.settled == ["fill-1"] and ticket.stored_at_settle is True

    # nothing waiting: a flush offers nothing again
    assert await outbox.flush() is True
    assert len(store.attempts) == 3 and listener.seen == ["e1", "e2", "e3"] and ticket.settled == ["fill-1"]


async def test_events_added_while_the_store_works_stay_behind_a_refused_batch():
    outbox: EventOutbox

    class AddsDuringTheWrite(FlakyStore):
        async def __call__(self, events) -> None:
            if not self.attempts:
                outbox.add(["played meanwhile"])  # a round played while the write was in flight
            await super().__call__(events)

    store = AddsDuringTheWrite(fails=1)
    outbox = EventOutbox(store, monotonic=FakeClock())
    outbox.add(["a", "b"])
    assert await outbox.flush() is False
    assert outbox.pending == 3 and outbox.failure.waiting == 3
    assert await outbox.flush() is True
    assert store.stored == ["a", "b", "played meanwhile"]


async def test_tickets_wait_for_the_events_added_before_them():
    store = FlakyStore(fails=1)
    outbox = EventOutbox(store, monotonic=FakeClock())
    first, second = Ticket(store, ["r1"]), Ticket(store, ["r1", "r2"])
    outbox.add(["r1"])
    outbox.add_outcomes([(first, "outcome 1")])
    assert await outbox.flush() is False
    outbox.add(["r2"])
    outbox.add_outcomes([(second, "outcome 2")])
    assert await outbox.flush() is True
    assert (first.settled, second.settled) == (["outcome 1"], ["outcome 2"])
    assert first.stored_at_settle and second.stored_at_settle


async def test_a_failing_after_sink_does_not_store_the_batch_twice():
    store = FlakyStore()
    calls: list = []

    async def broken(events) -> None:
        calls.append(list(events))
        raise RuntimeError("listener bug")

    listener = Listener(store)
    outbox = EventOutbox(store, [broken, listener], monotonic=FakeClock())
    outbox.add(["x", "y"])
    assert await outbox.flush() is True  # the store took it: that is what counts
    assert await outbox.flush() is True
    assert store.attempts == [["x", "y"]]
    assert calls == [["x", "y"]]
    assert listener.seen == ["x", "y"]  # the sinks after the broken one still get the batch
    assert outbox.healthy and outbox.pending == 0


async def test_without_a_store_the_after_sinks_get_the_events_directly():
    seen: list = []

    async def sink(events) -> None:
        seen.extend(events)

    outbox = EventOutbox(None, [sink], monotonic=FakeClock())
    outbox.add([1, 2])
    assert await outbox.flush() is True
    assert seen == [1, 2]


# --- backoff and flush_until_stored ----------------------------------------------------------


def test_backoff_doubles_from_the_first_delay_up_to_its_limit():
    backoff = Backoff(first=0.05, factor=2.0, limit=0.3)
    # 0.05, 0.05 x 2 = 0.1, 0.05 x 4 = 0.2, 0.05 x 8 = 0.4 -> capped at 0.3
    assert [backoff.delay(n) for n in (1, 2, 3, 4, 10)] == pytest.approx([0.05, 0.1, 0.2, 0.3, 0.3])
    assert backoff.delay(0) == pytest.approx(0.05)  # never below the first delay
    assert Backoff().delay(1) == pytest.approx(0.05) and Backoff().delay(100) == pytest.approx(5.0)


class RecordingBackoff:
    """Backoff with tiny delays that notes which attempt each delay was asked for."""

    def __init__(self, seconds: float = 0.001) -> None:
        self.seconds = seconds
        self.asked: list[int] = []

    def delay(self, attempt: int) -> float:
        self.asked.append(attempt)
        return self.seconds


async def test_flush_until_stored_retries_with_the_backoff_until_the_store_takes_it():
    store = FlakyStore(fails=2)
    backoff = RecordingBackoff()
    outbox = EventOutbox(store, backoff=backoff, monotonic=FakeClock())  # type: ignore[arg-type]
    outbox.add(["e"])
    assert await asyncio.wait_for(outbox.flush_until_stored(asyncio.Event()), 5) is True
    assert len(store.attempts) == 3 and store.stored == ["e"]
    assert backoff.asked == [1, 2]  # one wait after each refusal, for the failure's attempt count
    assert outbox.healthy


async def test_flush_until_stored_with_a_real_small_backoff():
    store = FlakyStore(fails=2)
    outbox = EventOutbox(store, backoff=Backoff(first=0.001, factor=2.0, limit=0.002), monotonic=FakeClock())
    outbox.add(["e"])
    assert await asyncio.wait_for(outbox.flush_until_stored(asyncio.Event()), 5) is True
    assert store.stored == ["e"]


async def test_flush_until_stored_returns_true_at_once_when_the_store_takes_it():
    store = FlakyStore()
    backoff = RecordingBackoff()
    outbox = EventOutbox(store, backoff=backoff, monotonic=FakeClock())  # type: ignore[arg-type]
    outbox.add(["e"])
    assert await outbox.flush_until_stored(asyncio.Event()) is True
    assert backoff.asked == []


async def test_flush_until_stored_gives_up_promptly_when_already_interrupted():
    store = FlakyStore(fails=10**9)
    outbox = EventOutbox(store, backoff=Backoff(first=60.0, limit=60.0), monotonic=FakeClock())
    outbox.add(["e"])
    interrupt = asyncio.Event()
    interrupt.set()
    # a 60 s backoff, but the interrupt is set: it returns after the one refused attempt
    assert await asyncio.wait_for(outbox.flush_until_stored(interrupt), 2) is False
    assert len(store.attempts) == 1
    assert outbox.pending == 1 and outbox.failure.attempts == 1  # kept for later


async def test_flush_until_stored_gives_up_promptly_when_interrupted_while_waiting():
    store = FlakyStore(fails=10**9)
    outbox = EventOutbox(store, backoff=Backoff(first=60.0, limit=60.0), monotonic=FakeClock())
    outbox.add(["e"])
    interrupt = asyncio.Event()
    task = asyncio.create_task(outbox.flush_until_stored(interrupt))
    await asyncio.wait_for(store.refused.wait(), 2)  # it is now in its 60 s backoff
    interrupt.set()
    assert await asyncio.wait_for(task, 2) is False
    assert len(store.attempts) == 1 and outbox.pending == 1


# --- due ---------------------------------------------------------------------------------------


async def test_due_at_max_speed_after_enough_rounds_or_seconds():
    clock = FakeClock(50.0)
    outbox = EventOutbox(FlakyStore(), policy=FlushPolicy(rounds=3, seconds=0.5), monotonic=clock)
    assert outbox.due(max_speed=False) is True  # paced runs flush every round
    assert outbox.due(max_speed=True) is False  # 0 rounds, 0 s
    outbox.round_played()
    outbox.round_played()
    assert outbox.due(max_speed=True) is False  # 2 rounds < 3
    outbox.round_played()
    assert outbox.due(max_speed=True) is True  # 3 rounds

    outbox.add(["e"])
    clock.now = 50.2
    assert await outbox.flush() is True  # resets the count and the time
    assert outbox.due(max_speed=True) is False
    clock.now = 50.69  # 0.49 s since the flush at 50.2
    assert outbox.due(max_speed=True) is False
    clock.now = 50.7  # 0.5 s
    assert outbox.due(max_speed=True) is True


async def test_a_refused_flush_does_not_reset_what_is_due():
    clock = FakeClock(0.0)
    outbox = EventOutbox(FlakyStore(fails=1), policy=FlushPolicy(rounds=2, seconds=10.0), monotonic=clock)
    outbox.round_played()
    outbox.round_played()
    outbox.add(["e"])
    assert await outbox.flush() is False
    assert outbox.due(max_speed=True) is True  # still 2 rounds unflushed
    assert await outbox.flush() is True
    assert outbox.due(max_speed=True) is False


async def test_a_caller_cancelled_mid_flush_neither_loses_nor_repeats_the_batch():
    release = asyncio.Event()
    stored: list = []

    async def slow_store(events) -> None:
        await release.wait()
        stored.extend(events)

    seen: list = []

    async def listener(events) -> None:
        seen.extend(events)

    outbox = EventOutbox(slow_store, [listener])
    outbox.add(["a", "b"])
    caller = asyncio.create_task(outbox.flush())
    await asyncio.sleep(0)  # the flush is under way, waiting on the store
    caller.cancel()  # e.g. the client of a command went away
    with pytest.raises(asyncio.CancelledError):
        await caller
    release.set()
    assert await outbox.flush() is True  # waits for the flush in progress, then finds nothing more
    assert stored == ["a", "b"] and seen == ["a", "b"]


class GatedStore(FlakyStore):
    """A store whose commit waits for `gate`: a batch being stored while play goes on."""

    def __init__(self, fails: int = 0) -> None:
        super().__init__(fails)
        self.gate = asyncio.Event()
        self.entered = asyncio.Event()

    async def __call__(self, events) -> None:
        self.entered.set()
        await self.gate.wait()
        await super().__call__(events)


async def test_flush_behind_stores_while_play_goes_on_and_publishes_only_after_the_commit():
    store = GatedStore()
    listener = Listener(store)
    outbox = EventOutbox(store, [listener])
    outbox.add(["r1", "r2"])
    await outbox.flush_behind()  # returns before the commit
    await asyncio.wait_for(store.entered.wait(), 5)
    assert outbox.storing and store.stored == [] and listener.seen == []
    outbox.add(["r3"])  # a round played meanwhile: the next batch, not this one
    store.gate.set()
    await outbox.flush_behind()  # waits for the batch in flight first
    assert store.attempts[0] == ["r1", "r2"]
    assert await outbox.flush() is True
    assert store.attempts == [["r1", "r2"], ["r3"]]
    assert listener.seen == ["r1", "r2", "r3"] and listener.unstored == []
    assert not outbox.storing


async def test_a_batch_refused_behind_play_is_kept_ahead_of_later_rounds():
    store = GatedStore(fails=1)
    outbox = EventOutbox(store, [], backoff=Backoff(first=0.001))
    outbox.add(["r1"])
    await outbox.flush_behind()
    await asyncio.wait_for(store.entered.wait(), 5)
    outbox.add(["r2"])  # played while r1 was being stored
    store.gate.set()
    await asyncio.wait_for(store.refused.wait(), 5)
    await asyncio.wait_for(outbox.flush_behind(), 5)  # waits for the refused batch, then stores what is kept
    assert await outbox.flush_until_stored(asyncio.Event()) is True
    assert store.attempts[0] == ["r1"] and store.stored == ["r1", "r2"] and outbox.healthy


async def test_while_a_batch_commits_the_next_is_due_only_at_twice_the_policy():
    clock = FakeClock(0.0)
    store = GatedStore()
    outbox = EventOutbox(store, policy=FlushPolicy(rounds=3, seconds=0.5), monotonic=clock)
    for _ in range(3):
        outbox.round_played()
    outbox.add(["r1-3"])
    await outbox.flush_behind()
    await asyncio.wait_for(store.entered.wait(), 5)
    for _ in range(5):
        outbox.round_played()  # played while the batch commits: they count for the next one
    clock.now = 10.0  # long past the policy's seconds: time does not make it due while one is in flight
    assert outbox.storing and outbox.due(max_speed=True) is False
    outbox.round_played()  # 6 = twice the policy
    assert outbox.due(max_speed=True) is True
    outbox.add(["r4-9"])
    store.gate.set()
    await outbox.flush_behind()  # waits for the first commit, then starts the next
    assert outbox.due(max_speed=True) is False  # the 6 rounds went with the batch just taken
    assert await outbox.flush() is True
    assert store.attempts == [["r1-3"], ["r4-9"]] and store.stored == ["r1-3", "r4-9"]


async def test_rounds_of_a_refused_batch_count_again():
    store = GatedStore(fails=1)
    outbox = EventOutbox(store, policy=FlushPolicy(rounds=2, seconds=60.0), backoff=Backoff(first=0.001))
    outbox.round_played()
    outbox.round_played()
    outbox.add(["r1-2"])
    await outbox.flush_behind()
    await asyncio.wait_for(store.entered.wait(), 5)
    store.gate.set()
    await asyncio.wait_for(store.refused.wait(), 5)
    await outbox.flush_behind()  # finds the batch refused: starts nothing (the runner retries it)
    assert not outbox.healthy and not outbox.storing and outbox.due(max_speed=True) is True
    assert len(store.attempts) == 1 and outbox.pending == 1

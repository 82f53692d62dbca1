"""The event outbox: events wait here until the store has them, and only then go anywhere else.

Record, then publish: a batch goes to the store sink first; only once it is committed do the
other sinks (metrics, the publisher, a headless run's progress) see it, and only then are the
callers waiting on an order's outcome answered. When the store refuses a batch, nothing of it
is lost: it stays here, in order, ahead of anything newer, and is retried with backoff, while
`failure` says why (the runner stops playing until the store takes it again).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from arena.domain.events import Event
from arena.domain.orders import Fill, Rejection

logger = logging.getLogger(__name__)

Sink = Callable[[Sequence[Event]], Awaitable[None]]


class Ticket(Protocol):
    """Someone waiting for an order's outcome (see `app.bot_orders`)."""

    def settle(self, outcome: Fill | Rejection) -> None: ...


@dataclass(frozen=True, slots=True)
class FlushPolicy:
    """At max speed, buffered events go to the sinks every `rounds` rounds or `seconds` seconds;
    paced runs flush every round."""

    rounds: int = 2000
    seconds: float = 0.25


@dataclass(frozen=True, slots=True)
class Backoff:
    first: float = 0.05
    factor: float = 2.0
    limit: float = 5.0

    def delay(self, attempt: int) -> float:
        return min(self.limit, self.first * self.factor ** max(0, attempt - 1))


@dataclass(frozen=True, slots=True)
class StoreFailure:
    reason: str  # the store's own words, e.g. "OperationalError: database or disk is full"
    attempts: int
    since: float  # monotonic time of the first failed attempt
    waiting: int  # events waiting


class EventOutbox:
    """`store` and `after` are the pipeline in its order (instrumentation may wrap or insert sinks)."""

    def __init__(
        self,
        store: Sink | None,
        after: Sequence[Sink] = (),
        *,
        policy: FlushPolicy = FlushPolicy(),
        backoff: Backoff = Backoff(),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.after = list(after)
        self._policy = policy
        self._backoff = backoff
        self._monotonic = monotonic
        self._events: list[Event] = []
        self._tickets: list[tuple[Ticket, Fill | Rejection]] = []
        self._rounds = 0
        self._last_flush = monotonic()
        self._lock = asyncio.Lock()
        self._flushing: set[asyncio.Task[bool]] = set()
        self._behind: asyncio.Task[bool] | None = None
        self._failure: StoreFailure | None = None

    # --- filling -------------------------------------------------------------------

    def add(self, events: Sequence[Event]) -> None:
        self._events.extend(events)

    def add_outcomes(self, outcomes: Sequence[tuple[object, Fill | Rejection]]) -> None:
        """Outcomes of queued orders; their tickets are settled once the events before them are stored."""
        for ticket, outcome in outcomes:
            if ticket is not None:
                self._tickets.append((ticket, outcome))  # type: ignore[arg-type]

    def round_played(self) -> None:
        self._rounds += 1

    # --- state ---------------------------------------------------------------------

    @property
    def failure(self) -> StoreFailure | None:
        """Why the store is refusing batches, while it is; None when it takes them."""
        return self._failure

    @property
    def healthy(self) -> bool:
        return self._failure is None

    @property
    def pending(self) -> int:
        return len(self._events)

    def due(self, max_speed: bool) -> bool:
        if not max_speed:
            return True
        return self.rounds_before_due() == 0

    def rounds_before_due(self) -> int:
        """At max speed, how many more rounds before a flush is due (0: due now). It changes only
        when a round is played or a batch starts or ends storing, and with the clock."""
        if self.storing:
            # the next batch is computed while one commits; past twice the policy, play waits for it
            # (bounded backpressure: what waits never grows past two batches)
            return max(0, 2 * self._policy.rounds - self._rounds)
        if self._monotonic() - self._last_flush >= self._policy.seconds:
            return 0
        return max(0, self._policy.rounds - self._rounds)

    # --- flushing ------------------------------------------------------------------

    async def flush(self) -> bool:
        """Store what is waiting, then hand it on. False (and everything kept) when the store refuses it.

        The work runs in a task of its own: a caller that is cancelled (a client that went away,
        a shutdown timeout) stops waiting for it, but never stops it half-way, so a batch is
        neither lost nor stored twice."""
        return await asyncio.shield(self._start_flush())

    async def flush_behind(self) -> None:
        """Start storing what is waiting and return without waiting for the commit, so that the
        next rounds are computed while the database writes (max speed). The batch before it is
        waited for first: one batch in flight at most. Its sinks still run only after its commit;
        a refusal shows in `failure` (and `healthy`), as with `flush`."""
        if self._behind is not None and not self._behind.done():
            await asyncio.shield(self._behind)
        if not self.healthy:
            return  # the batch before was refused: the runner retries it (with backoff), not play
        self._behind = self._start_flush()
        await asyncio.sleep(0)  # it takes its events (and their rounds) now, so the next ones count anew

    @property
    def storing(self) -> bool:
        """A batch started by `flush_behind` is still being stored."""
        return self._behind is not None and not self._behind.done()

    def _start_flush(self) -> asyncio.Task[bool]:
        task = asyncio.ensure_future(self._flush())
        self._flushing.add(task)
        task.add_done_callback(self._flushing.discard)
        return task

    async def _flush(self) -> bool:
        async with self._lock:
            if not self._events and not self._tickets:
                self._failure = None  # nothing waits, so nothing is refused
                return True
            events, self._events = self._events, []
            tickets, self._tickets = self._tickets, []
            # the rounds of this batch are taken with it: those played while it commits count for the next
            rounds, self._rounds = self._rounds, 0
            self._last_flush = self._monotonic()
            if self.store is not None and events:
                try:
                    await self.store(events)
                except Exception as exc:  # the store's failure is reported and retried, never dropped
                    self._events = events + self._events
                    self._tickets = tickets + self._tickets
                    self._rounds += rounds
                    self._refused(exc)
                    return False
                except BaseException:  # cancelled (only at shutdown: callers are shielded): keep it too
                    self._events = events + self._events
                    self._tickets = tickets + self._tickets
                    self._rounds += rounds
                    raise
            self._stored()
            for sink in self.after:
                try:
                    await sink(events)
                except Exception:  # a failing listener must not make the batch be recorded twice
                    logger.exception("a sink failed on %d stored events", len(events))
            for ticket, outcome in tickets:
                ticket.settle(outcome)
            return True

    async def flush_until_stored(self, interrupt: asyncio.Event) -> bool:
        """Retry with backoff until the store takes everything (True) or `interrupt` is set (False)."""
        while not await self.flush():
            failure = self._failure
            delay = self._backoff.delay(failure.attempts if failure else 1)
            try:
                async with asyncio.timeout(delay):  # not wait_for: on 3.11 it can swallow a cancellation
                    await interrupt.wait()
                return False
            except TimeoutError:
                continue
        return True

    def _refused(self, exc: Exception) -> None:
        reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
        failure = self._failure
        if failure is None:
            self._failure = StoreFailure(reason, 1, self._monotonic(), len(self._events))
            logger.error(
                "the store refused %d events (%s); play waits and the batch is retried", len(self._events), reason
            )
            logger.debug("store failure", exc_info=exc)
        else:
            self._failure = StoreFailure(reason, failure.attempts + 1, failure.since, len(self._events))
            logger.warning(
                "the store still refuses %d events (attempt %d): %s", len(self._events), failure.attempts + 1, reason
            )

    def _stored(self) -> None:
        failure = self._failure
        if failure is not None:
            logger.info(
                "the store took the waiting events again after %d attempts in %.1fs; play goes on",
                failure.attempts,
                self._monotonic() - failure.since,
            )
        self._failure = None

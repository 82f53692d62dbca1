"""The arena runner: drives a feed in (paced) rounds, owns the competition state machine,
and passes every event to the sinks in order (the recorder first, then the publisher).

Commands (start, pause, resume, stop, bot orders) are methods on the runner; they
run on the same event loop between rounds, so a round is never interleaved with a
command. Pausing a competition that trades the shared market feed stops its trades
while prices go on; pausing one that owns its feed (a replay) pauses the feed too.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from arena.domain.events import CompetitionStatus, Event, QuotesReceived
from arena.domain.market import Quote, QuoteBatch
from arena.domain.orders import Fill, OrderIntent, Rejection
from arena.engine.competition import ACTIVE_STATES, Competition
from arena.engine.config import CompetitionConfig, FeedMode, SpeedMode, SpeedSpec
from arena.errors import ArenaError, ErrorCode
from arena.feeds.base import Feed, FeedInfo
from arena.feeds.factory import build_feed
from arena.feeds.pacing import Pacer

logger = logging.getLogger(__name__)

Sink = Callable[[Sequence[Event]], Awaitable[None]]
S = CompetitionStatus


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class _Source:
    feed: Feed
    batches: Iterator[QuoteBatch]
    pacer: Pacer
    owned: bool  # owned by the current competition (ends with it)


@dataclass(frozen=True, slots=True)
class FlushPolicy:
    """When buffered events go to the sinks: every `rounds` rounds or `seconds` seconds."""

    rounds: int = 1
    seconds: float = 0.25


class ArenaRunner:
    def __init__(
        self,
        sinks: Sequence[Sink] = (),
        *,
        market_feed: Feed | None = None,
        market_speed: SpeedSpec = SpeedSpec(),
        max_speed_flush: FlushPolicy = FlushPolicy(rounds=2000, seconds=0.25),
        clock: Callable[[], datetime] = utc_now,
        feed_builder: Callable[..., Feed] = build_feed,
    ) -> None:
        self._sinks = list(sinks)
        self._clock = clock
        self._feed_builder = feed_builder
        self._max_speed_flush = max_speed_flush
        self._market: _Source | None = None
        if market_feed is not None:
            self._market = _Source(market_feed, market_feed.batches(), Pacer(market_speed), owned=False)
        self._own: _Source | None = None
        self.competition: Competition | None = None
        self.latest: dict[str, Quote] = {}
        self._pending: list[Event] = []
        self._pending_rounds = 0
        self._last_flush = time.monotonic()
        self._flush_lock = asyncio.Lock()
        self._wakeup = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self.last_error: str | None = None  # the latest unexpected failure in the loop, for /health
        self._stopping = False
        self._running_since: float | None = None
        self._running_seconds = 0.0
        self.competition_started_at: datetime | None = None
        self.rounds_total = 0
        self.finished = asyncio.Event()  # set when a competition ends (for headless runs)
        self._orders_by_client_id: dict[tuple[str, str, str | None], tuple[OrderIntent, asyncio.Future]] = {}
        self._outcomes: list[tuple[object, Fill | Rejection]] = []

    # --- what the API reads --------------------------------------------------------

    @property
    def status(self) -> CompetitionStatus:
        return self.competition.status if self.competition else S.IDLE

    @property
    def feed_info(self) -> FeedInfo | None:
        source = self._source()
        return source.feed.info if source else None

    @property
    def is_active(self) -> bool:
        return self.competition is not None and self.competition.status in ACTIVE_STATES

    # --- commands -------------------------------------------------------------------

    async def start(self, config: CompetitionConfig, *, competition_id: str | None = None) -> Competition:
        if self.is_active:
            raise ArenaError(ErrorCode.ALREADY_RUNNING, "a competition is already running; stop it first")
        config = config.validated()
        if config.feed is not None and config.feed.mode is FeedMode.SIM and config.feed.start is None:
            # pin the simulation's clock so that a resume after a crash replays the same ticks
            start = self._clock().replace(microsecond=0).isoformat()
            config = replace(config, feed=replace(config.feed, start=start))
        own: _Source | None = None
        symbols = config.symbols
        if config.feed is not None:
            try:
                feed = self._feed_builder(config.feed, config.symbols)
            except ArenaError:
                raise
            except OSError as exc:
                raise ArenaError(ErrorCode.FEED_ERROR, f"cannot open feed: {exc}", "feed") from None
            if config.feed.mode is FeedMode.REPLAY:
                symbols = feed.info.symbols  # a replay names its own symbols
                config = replace(config, symbols=symbols)
            own = _Source(feed, feed.batches(), Pacer(config.speed), owned=True)
        elif self._market is None:
            raise ArenaError(ErrorCode.INVALID_CONFIG, "no market feed: give the competition a feed", "feed")
        else:
            unknown = set(symbols) - set(self._market.feed.info.symbols)
            if unknown:
                raise ArenaError(
                    ErrorCode.UNKNOWN_SYMBOL,
                    f"the market feed has no {', '.join(sorted(unknown))}; "
                    f"it has {', '.join(self._market.feed.info.symbols)}",
                    "symbols",
                )
        competition = Competition(competition_id or uuid.uuid4().hex[:12], config, symbols=symbols)
        now = self._clock()
        info = (own or self._market).feed.info  # type: ignore[union-attr]
        if own is not None:
            self.latest.clear()  # the prices now come from the competition's own feed
        self._own = own
        self.competition = competition
        self.competition_started_at = now
        self._running_seconds = 0.0
        self._running_since = time.monotonic()
        self.finished.clear()
        self._pending.append(competition.created_event(info.kind.value, info.description, now))
        self._pending.append(competition.transition(S.RUNNING, now, "started"))
        await self.flush()
        self._wakeup.set()
        logger.info("competition %s (%s) started on %s", competition.id, config.name, info.description)
        return competition

    async def pause(self) -> Competition:
        competition = self._require_competition()
        self._pending.extend(competition.leave_running(S.PAUSED, self._clock(), "paused by operator"))
        if self._running_since is not None:
            self._running_seconds += time.monotonic() - self._running_since
            self._running_since = None
        await self.flush()
        return competition

    async def resume(self) -> Competition:
        competition = self._require_competition()
        self._pending.append(competition.transition(S.RUNNING, self._clock(), "resumed by operator"))
        self._running_since = time.monotonic()
        if self._own:
            self._own.pacer.reset()
        await self.flush()
        self._wakeup.set()
        return competition

    async def stop(self) -> Competition:
        competition = self._require_competition()
        if competition.status not in ACTIVE_STATES:
            raise ArenaError(ErrorCode.NOT_RUNNING, f"competition is {competition.status.value}")
        await self._end(S.STOPPED, "stopped by operator")
        return competition

    async def resume_restored(self, competition: Competition, feed: Feed | None, batches: Iterator[QuoteBatch] | None) -> Competition:
        """Continue an INTERRUPTED competition rebuilt by arena.engine.recovery."""
        if self.is_active:
            raise ArenaError(ErrorCode.ALREADY_RUNNING, "a competition is already running; stop it first")
        if feed is not None and batches is not None:
            self._own = _Source(feed, batches, Pacer(competition.config.speed), owned=True)
            self.latest.clear()
        elif self._market is None:
            raise ArenaError(ErrorCode.INVALID_CONFIG, "no market feed to continue on", "feed")
        else:
            self._own = None
        self.competition = competition
        self.competition_started_at = self._clock()
        self._running_seconds = 0.0
        self._running_since = time.monotonic()
        self.finished.clear()
        self._pending.append(competition.transition(S.RUNNING, self._clock(), f"resumed after interruption at round {competition.round}"))
        await self.flush()
        self._wakeup.set()
        return competition

    def submit_order(self, agent_id: str, intent: OrderIntent) -> asyncio.Future[Fill | Rejection]:
        """Queue an external (bot) order for the start of the next round.

        The future resolves with the Fill or the Rejection once the round's events
        are recorded. A repeated client order id returns the first order's future;
        reusing one for a different order is refused with DUPLICATE_CLIENT_ORDER_ID.
        """
        competition = self._require_competition()
        key = (competition.id, agent_id, intent.client_order_id)
        if intent.client_order_id is not None and key in self._orders_by_client_id:
            first_intent, future = self._orders_by_client_id[key]
            if first_intent != intent:
                raise ArenaError(ErrorCode.DUPLICATE_CLIENT_ORDER_ID,
                                 f"client order id {intent.client_order_id!r} was used for a different order",
                                 "clientOrderId")
            return future
        future: asyncio.Future[Fill | Rejection] = asyncio.get_running_loop().create_future()
        competition.submit_external(agent_id, intent, ticket=future)
        if intent.client_order_id is not None:
            self._orders_by_client_id[key] = (intent, future)
        return future

    def request_shutdown(self) -> None:
        """Finish the current round, flush, and leave `run()`."""
        self._stopping = True
        self._stop_requested.set()
        self._wakeup.set()

    # --- the loop -------------------------------------------------------------------

    async def run(self) -> None:
        """Play rounds until shutdown is requested (or, headless, the competition ends)."""
        try:
            while not self._stopping:
                source = self._source()
                if source is None or self._feed_paused(source):
                    await self._sleep_until_woken()
                    continue
                batch = next(source.batches, None)
                if batch is None:
                    await self._source_exhausted(source)
                    continue
                await self._paced(source, batch)
                if self._stopping:
                    break
                if self._feed_paused(source) or source is not self._source():
                    continue  # paused or switched while we slept: this batch is not played
                try:
                    self._play(batch)
                    if self._flush_due(source):
                        await self.flush()
                    await self._check_duration()
                except Exception as exc:  # keep the market going; /health reports the failure
                    logger.exception("round failed")
                    self.last_error = f"{type(exc).__name__}: {exc}"
        finally:
            await self.flush()

    def _play(self, batch: QuoteBatch) -> None:
        for quote in batch.quotes:
            self.latest[quote.symbol] = quote
        competition = self.competition
        if competition is not None and competition.status is S.RUNNING:
            self._pending.extend(competition.play_round(batch))
            self.rounds_total += 1
            if competition.config.rounds is not None and competition.round >= competition.config.rounds:
                self._pending.extend(competition.finish(S.FINISHED, self._clock(), "all rounds played"))
                self._ended()
        else:
            self._pending.append(QuotesReceived(None, None, batch))
        self._pending_rounds += 1

    async def _paced(self, source: _Source, batch: QuoteBatch) -> None:
        """Wait for the batch's time, but wake at once for a shutdown (long intervals must not delay it)."""
        if source.pacer.speed.mode is SpeedMode.MAX:
            await source.pacer.wait(batch)
            return
        pacing = asyncio.ensure_future(source.pacer.wait(batch))
        stopping = asyncio.ensure_future(self._stop_requested.wait())
        try:
            await asyncio.wait({pacing, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pacing, stopping):
                task.cancel()

    async def _check_duration(self) -> None:
        competition = self.competition
        if competition is None or competition.status is not S.RUNNING or competition.config.duration_s is None:
            return
        if self._running_time() >= competition.config.duration_s:
            await self._end(S.FINISHED, "duration reached")

    async def _source_exhausted(self, source: _Source) -> None:
        if source.owned and self.competition is not None and self.competition.status in ACTIVE_STATES:
            await self._end(S.FINISHED, "feed data ran out")
        elif source is self._market:
            logger.info("market feed %s ran out", source.feed.info.description)
            self._market = None

    async def _end(self, status: CompetitionStatus, reason: str) -> None:
        competition = self._require_competition()
        self._pending.extend(competition.finish(status, self._clock(), reason))
        self._ended()
        await self.flush()

    def _ended(self) -> None:
        if self._running_since is not None:
            self._running_seconds += time.monotonic() - self._running_since
            self._running_since = None
        if self._own is not None:
            self.latest.clear()  # back to the shared market feed's symbols
        self._own = None
        self.finished.set()
        self._wakeup.set()

    # --- helpers ---------------------------------------------------------------------

    def _source(self) -> _Source | None:
        return self._own or self._market

    def _feed_paused(self, source: _Source) -> bool:
        return source.owned and self.status is S.PAUSED

    def _running_time(self) -> float:
        extra = time.monotonic() - self._running_since if self._running_since is not None else 0.0
        return self._running_seconds + extra

    def _flush_due(self, source: _Source) -> bool:
        if source.pacer.speed.mode is not SpeedMode.MAX:
            return True
        policy = self._max_speed_flush
        return (
            self._pending_rounds >= policy.rounds
            or time.monotonic() - self._last_flush >= policy.seconds
        )

    async def _sleep_until_woken(self) -> None:
        self._wakeup.clear()
        if self._stopping or (self._source() and not self._feed_paused(self._source())):  # type: ignore[arg-type]
            return
        await self._wakeup.wait()

    def _require_competition(self) -> Competition:
        if self.competition is None:
            raise ArenaError(ErrorCode.NO_COMPETITION, "no competition has been started")
        return self.competition

    async def flush(self) -> None:
        """Hand buffered events to every sink in order; record first, publish after."""
        async with self._flush_lock:
            if not self._pending:
                return
            if self.competition is not None and self.competition.outcomes:
                self._outcomes.extend(self.competition.outcomes)
                self.competition.outcomes.clear()
            events, self._pending = self._pending, []
            outcomes, self._outcomes = self._outcomes, []
            self._pending_rounds = 0
            self._last_flush = time.monotonic()
            for sink in self._sinks:
                await sink(events)
            for ticket, outcome in outcomes:  # recorded: now the caller may see it
                if isinstance(ticket, asyncio.Future) and not ticket.done():
                    ticket.set_result(outcome)

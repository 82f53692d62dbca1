"""The arena runner: plays the current feed in paced rounds, owns the competition's life cycle and
hands every event to the outbox, which records it before anyone else sees it.

Commands (start, pause, resume, stop, bot orders) are methods on the same event loop: they run
while the loop waits (for a batch's turn, or for the store), never inside a round's computation,
and every state change goes through the competition's state machine. Pausing a competition that
trades the shared market feed stops its trades while prices go on; pausing one that owns its
feed (a replay) pauses that feed too. While the store refuses writes, no round is played and
commands are refused with STORE_UNAVAILABLE; play goes on, with no gap, once it takes them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from arena.app.bot_orders import BotOrders, Outcome
from arena.app.clock import Clock, RunningTime, utc_now
from arena.app.model_desk import ModelDesk
from arena.app.outbox import EventOutbox
from arena.app.prices import LatestPrices
from arena.app.sources import Interrupted, Source, Sources
from arena.domain.events import CompetitionStatus, Event, HistoryLoaded, QuotesReceived
from arena.domain.market import QuoteBatch
from arena.domain.orders import OrderIntent
from arena.engine.competition import ACTIVE_STATES, Competition, own_feed_id
from arena.engine.config import CompetitionConfig
from arena.errors import ArenaError, ErrorCode
from arena.feeds.base import Feed, FeedInfo, LiveFeed
from arena.feeds.factory import build_feed
from arena.feeds.spec import FeedMode, FeedSpec, SpeedMode, SpeedSpec

logger = logging.getLogger(__name__)

# At max speed, play runs this many rounds back to back, then yields to the event loop (commands, a
# batch being stored, the models): often enough that a pause or an order waits ~1 ms at most, rarely
# enough that the loop's turns cost little per round.
PLAY_AHEAD_ROUNDS = 64

FeedBuilder = Callable[..., Feed]
MIN_MODEL_TIMEOUT_S = 2.0


class ArenaRunner:
    def __init__(
        self,
        outbox: EventOutbox,
        *,
        market_feed: Feed | None = None,
        market_speed: SpeedSpec = SpeedSpec(),
        clock: Clock = utc_now,
        feed_builder: FeedBuilder = build_feed,
        orders: BotOrders | None = None,
        models: ModelDesk | None = None,
    ) -> None:
        self.outbox = outbox
        self.sources = Sources(market_feed, market_speed)
        self.prices = LatestPrices()
        outbox.after.insert(0, self.prices.observe)  # the latest prices are the stored ones
        self.orders = orders or BotOrders()
        self.models = models or ModelDesk()
        self.competition: Competition | None = None
        self.running_time = RunningTime()
        self.finished = asyncio.Event()  # set once a competition's end is stored (headless runs wait for it)
        self.idle = asyncio.Event()  # set while the loop has nothing to play (no feed, or its feed is paused)
        self.rounds_total = 0
        self.last_error: str | None = None  # the latest unexpected failure in the loop, for /health
        self.unavailable: str | None = None  # why this runner takes no commands (a standby engine), if it does not
        self._clock = clock
        self._feed_builder = feed_builder
        self._wakeup = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._interrupt = asyncio.Event()  # ends the wait for a batch: a shutdown, a switch of feeds
        self._history: asyncio.Task[None] | None = None
        self._stopping = False
        self._end_unrecorded = False
        self._status_before_end = CompetitionStatus.IDLE

    # --- what the API reads --------------------------------------------------------

    @property
    def status(self) -> CompetitionStatus:
        if self.competition is None:
            return CompetitionStatus.IDLE
        return self._status_before_end if self._end_unrecorded else self.competition.status

    @property
    def end_pending(self) -> bool:
        """The competition has ended but its end is not stored yet (readers show the stored state
        until it is, so whoever sees it ended can read everything that led there)."""
        return self._end_unrecorded

    @property
    def feed_info(self) -> FeedInfo | None:
        source = self.sources.current
        return source.info if source else None

    @property
    def is_active(self) -> bool:
        return self.competition is not None and self.competition.status in ACTIVE_STATES

    # --- commands -------------------------------------------------------------------

    async def start(self, config: CompetitionConfig, *, competition_id: str | None = None) -> Competition:
        self.check_can_take_over()
        config = config.validated()
        competition_id = competition_id or uuid.uuid4().hex[:12]
        own: Source | None = None
        symbols = config.symbols
        if config.feed is not None:
            if config.feed.mode is FeedMode.SIM and config.feed.start is None:
                # pin the simulation's clock so that a resume after a crash replays the same ticks
                start = self._clock().replace(microsecond=0).isoformat()
                config = replace(config, feed=replace(config.feed, start=start))
            assert config.feed is not None
            feed = self.open_feed(config.feed, config.symbols, own_feed_id(competition_id))
            if config.feed.mode is FeedMode.REPLAY:
                symbols = feed.info.symbols  # a replay names its own symbols
                config = replace(config, symbols=symbols)
            own = Source.open(feed, config.speed, owned=True)
        else:
            self.check_market_symbols(symbols)
        source = own or self.sources.market
        assert source is not None
        competition = Competition(competition_id, config, symbols=symbols, feed_id=source.info.id)
        await self.models.reset()
        self.check_can_take_over()  # again: another start may have come in while the old clients closed
        now = self._clock()
        if own is not None:
            self.sources.play_own(own)
            self._interrupt.set()  # the loop may be waiting on the market (a silent live feed)
        self.competition = competition
        self.running_time.reset()
        self.running_time.start()
        self.finished.clear()
        info = source.info
        self._emit(
            competition,
            [
                competition.created_event(info.id, info.kind.value, info.description, now),
                competition.transition(CompetitionStatus.RUNNING, now, "started"),
            ],
        )
        self._wakeup.set()
        await self._record_command("started")
        logger.info("competition %s (%s) started on %s", competition.id, config.name, info.description)
        return competition

    async def pause(self) -> Competition:
        self._refuse_while_store_refuses()
        competition = self._require_competition()
        self._emit(
            competition, competition.leave_running(CompetitionStatus.PAUSED, self._clock(), "paused by operator")
        )
        self.running_time.stop()
        await self._record_command("paused")
        return competition

    async def resume(self) -> Competition:
        self._refuse_while_store_refuses()
        competition = self._require_competition()
        self._emit(
            competition, [competition.transition(CompetitionStatus.RUNNING, self._clock(), "resumed by operator")]
        )
        self.running_time.start()
        if self.sources.own is not None and self.sources.own.pacer is not None:
            self.sources.own.pacer.reset()
        self._wakeup.set()
        await self._record_command("resumed")
        return competition

    async def stop(self) -> Competition:
        self._refuse_while_store_refuses()
        competition = self._require_competition()
        if competition.status not in ACTIVE_STATES:
            raise ArenaError(ErrorCode.NOT_RUNNING, f"competition is {competition.status.value}")
        await self._end(CompetitionStatus.STOPPED, "stopped by operator")
        if not self.outbox.healthy:
            self._refuse_while_store_refuses("stopped")
        return competition

    async def resume_restored(
        self,
        competition: Competition,
        feed: Feed | None,
        batches: Iterator[QuoteBatch] | None,
        *,
        paused: bool = False,
    ) -> Competition:
        """Continue an INTERRUPTED competition rebuilt by `arena.app.resume` (own feed: `feed` and its
        `batches`, positioned after the recorded rounds; shared feed: None); `paused`: back as PAUSED,
        before any round is played (an engine taking over one that was paused)."""
        self.check_can_take_over()
        await self.models.reset()
        self.check_can_take_over()  # again, after the wait
        if feed is not None:
            self.sources.play_own(Source.open(feed, competition.config.speed, owned=True, batches=batches))
            self._interrupt.set()
        elif self.sources.market is None:
            raise ArenaError(ErrorCode.INVALID_CONFIG, "no market feed to continue on", "feed")
        self.competition = competition
        self.running_time.reset()  # the duration counts again from here: the time before the crash is not known
        self.running_time.start()
        self.finished.clear()
        reason = f"resumed after interruption at round {competition.round}"
        self._emit(competition, [competition.transition(CompetitionStatus.RUNNING, self._clock(), reason)])
        if paused:
            self._emit(
                competition, competition.leave_running(CompetitionStatus.PAUSED, self._clock(), "paused, as it was")
            )
            self.running_time.stop()
        self._wakeup.set()
        await self._record_command("resumed")
        return competition

    async def submit_order(self, agent_id: str, intent: OrderIntent) -> asyncio.Future[Outcome]:
        """Queue an external (bot) order for the start of the next round (see `arena.app.bot_orders`)."""
        self._refuse_while_store_refuses()
        return await self.orders.submit(self._require_competition(), agent_id, intent)

    def request_shutdown(self) -> None:
        """Finish the current round, flush, and leave `run()`."""
        self._stopping = True
        self._stop_requested.set()
        self._interrupt.set()
        self._wakeup.set()

    def use_market(self, feed: Feed) -> None:
        """Set the shared market feed before `run()` (e.g. once `--feed auto` has chosen)."""
        self.sources.use_market(feed)

    # --- the loop -------------------------------------------------------------------

    async def run(self) -> None:
        """Play rounds until shutdown is requested."""
        market = self.sources.market
        if market is not None and isinstance(market.feed, LiveFeed):
            self._history = asyncio.create_task(self._load_history(market.feed), name="live-history")
        try:
            while not self._stopping:
                if not self.outbox.healthy:
                    self._recorded(await self.outbox.flush_until_stored(self._stop_requested))
                    continue
                source = self.sources.current
                if source is None or self._feed_paused(source):
                    await self._sleep_until_woken()
                    continue
                if not self._stopping:
                    self._interrupt.clear()
                try:
                    batch = await source.next(self._interrupt)
                except Interrupted:
                    continue  # a shutdown or a switch of feeds: look again
                if batch is None:
                    await self._source_exhausted(source)
                    continue
                if source is not self.sources.current:
                    continue  # switched while it waited: the replaced feed's batch is not played
                if self._stopping or self._feed_paused(source) or not self.outbox.healthy:
                    source.hold(batch)  # paused, stopping, or the store refuses: played later, not skipped
                    continue
                try:
                    ended = self._play(source, batch)
                    max_speed = source.max_speed
                    if max_speed and not ended:
                        ended = self._play_ahead(source)
                    if max_speed and self.models.busy and not ended:
                        await self.models.settle(self._stop_requested)  # a backtest waits for its models
                    if ended:  # an end is stored at once, like a command
                        await self._record()
                    elif self.outbox.due(max_speed):
                        if max_speed:
                            await self.outbox.flush_behind()  # the next rounds are computed while it commits
                        else:
                            await self._record()
                    elif max_speed:
                        await asyncio.sleep(0)  # commands, the batch being stored and the models take their turn
                    await self._check_duration()
                except Exception as exc:  # keep the market going; /health reports the failure
                    logger.exception("round failed")
                    self.last_error = f"{type(exc).__name__}: {exc}"
        finally:
            if self._history is not None:
                self._history.cancel()
            await self.models.reset()
            await self.sources.close()
            if not await self._record():
                logger.error("stopped with %d events that the store did not take", self.outbox.pending)

    def _play_ahead(self, source: Source) -> bool:
        """At max speed, after a batch: the batches that follow it, back to back, while nothing else
        is due (up to `PLAY_AHEAD_ROUNDS` in all, until a model is asked, the outbox wants a flush or
        the feed has no batch to give at once); True when one of them ended the competition. Nothing
        else runs meanwhile (no await): no command can change what is playing, and the outbox's
        count of rounds before a flush changes only by the rounds played here."""
        outbox, models = self.outbox, self.models
        if not outbox.healthy:
            return False
        for _ in range(min(PLAY_AHEAD_ROUNDS - 1, outbox.rounds_before_due())):
            if models.busy:
                return False
            batch = source.take()
            if batch is None:
                return False
            if self._play(source, batch):
                return True
        return False

    def _play(self, source: Source, batch: QuoteBatch) -> bool:
        """Play one batch; True when it ended the competition (its last round)."""
        competition = self.competition
        ended = False
        if competition is not None and competition.status is CompetitionStatus.RUNNING:
            self._emit(competition, competition.play_round(batch))
            self.rounds_total += 1
            if competition.config.rounds is not None and competition.round >= competition.config.rounds:
                self._finish(competition, CompetitionStatus.FINISHED, "all rounds played")
                ended = True
        else:
            self.outbox.add([QuotesReceived(source.info.id, None, None, batch)])
        self.outbox.round_played()
        return ended

    async def _check_duration(self) -> None:
        competition = self.competition
        if competition is None or competition.status is not CompetitionStatus.RUNNING:
            return
        if competition.config.duration_s is not None and self.running_time.seconds >= competition.config.duration_s:
            await self._end(CompetitionStatus.FINISHED, "duration reached")

    async def _source_exhausted(self, source: Source) -> None:
        if source.owned and self.is_active:
            await self._end(CompetitionStatus.FINISHED, "feed data ran out")
        elif source is self.sources.market:
            logger.info("market feed %s ran out", source.info.description)
            self.sources.market_ran_out()

    async def _end(self, status: CompetitionStatus, reason: str) -> None:
        self._finish(self._require_competition(), status, reason)
        await self._record()

    def _finish(self, competition: Competition, status: CompetitionStatus, reason: str) -> None:
        self._status_before_end = competition.status
        self._emit(competition, competition.finish(status, self._clock(), reason))
        self._ended()

    def _ended(self) -> None:
        self.running_time.stop()
        self.models.cancel()  # nothing more to ask
        self.sources.end_own()
        self._end_unrecorded = True  # `finished` is set once the end is stored
        self._wakeup.set()

    async def _record(self) -> bool:
        """Flush the outbox; True when everything waiting is stored (and handed on)."""
        return self._recorded(await self.outbox.flush())

    def _recorded(self, stored: bool) -> bool:
        if stored and self._end_unrecorded:
            self._end_unrecorded = False
            self.finished.set()
        return stored

    # --- helpers ---------------------------------------------------------------------

    async def _load_history(self, feed: LiveFeed) -> None:
        """A live feed's recent past, stored as its price history (the chart and change % make
        sense at once); when the exchange will not give it, the feed goes on without."""
        try:
            quotes = await feed.history()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a REST endpoint outside our control: say so and go on
            logger.warning(
                "%s: no price history from before the start (%s: %s)", feed.info.description, type(exc).__name__, exc
            )
            return
        if quotes:
            self.outbox.add([HistoryLoaded(feed.info.id, tuple(quotes))])
            logger.info("%s: stored %d quotes of history", feed.info.description, len(quotes))

    def _emit(self, competition: Competition, events: Sequence[Event]) -> None:
        self.outbox.add(events)
        outcomes = competition.take_outcomes()
        if outcomes:
            self.outbox.add_outcomes(outcomes)
        for request in competition.take_decision_requests():
            self.models.ask(competition, request, self._model_timeout_cap(competition, request.agent_id))
        while competition.agent_failures:
            agent_id, exc = competition.agent_failures.pop(0)
            logger.error("agent %s failed in round %d and skipped it", agent_id, competition.round, exc_info=exc)

    def _model_timeout_cap(self, competition: Competition, agent_id: str) -> float | None:
        """In paced real-time runs a model must answer within most of its decision interval (but is
        always given a few seconds: a faster answer than that cannot be asked of a model)."""
        source = self.sources.current
        every: int = competition.entrants[agent_id].info.params.get("decide_every", 0)
        if source is None or source.pacer is None or not every:
            return None
        speed = source.pacer.speed
        if speed.mode is not SpeedMode.REALTIME:
            return None
        return max(MIN_MODEL_TIMEOUT_S, 0.9 * every * speed.interval_s)

    def open_feed(self, spec: FeedSpec, symbols: Sequence[str], feed_id: str) -> Feed:
        """Build a feed; a file that cannot be opened is refused with FEED_ERROR."""
        try:
            return self._feed_builder(spec, symbols, feed_id=feed_id)
        except ArenaError:
            raise
        except OSError as exc:
            raise ArenaError(ErrorCode.FEED_ERROR, f"cannot open feed: {exc}", "feed") from None

    def check_can_take_over(self) -> None:
        """Refuse to start or resume a competition while one runs or the store refuses writes."""
        self._refuse_while_store_refuses()
        if self.is_active:
            raise ArenaError(ErrorCode.ALREADY_RUNNING, "a competition is already running; stop it first")

    def check_market_symbols(self, symbols: Sequence[str]) -> None:
        """Refuse symbols the shared market feed does not have."""
        market = self.sources.market
        if market is None:
            raise ArenaError(ErrorCode.INVALID_CONFIG, "no market feed: give the competition a feed", "feed")
        unknown = set(symbols) - set(market.info.symbols)
        if unknown:
            raise ArenaError(
                ErrorCode.UNKNOWN_SYMBOL,
                f"the market feed has no {', '.join(sorted(unknown))}; it has {', '.join(market.info.symbols)}",
                "symbols",
            )

    def _feed_paused(self, source: Source) -> bool:
        competition = self.competition
        return source.owned and competition is not None and competition.status is CompetitionStatus.PAUSED

    async def _sleep_until_woken(self) -> None:
        self._wakeup.clear()
        source = self.sources.current
        if self._stopping or (source is not None and not self._feed_paused(source)):
            return
        self.idle.set()
        try:
            await self._wakeup.wait()
        finally:
            self.idle.clear()

    def _require_competition(self) -> Competition:
        if self.competition is None:
            raise ArenaError(ErrorCode.NO_COMPETITION, "no competition has been started")
        return self.competition

    async def _record_command(self, done: str) -> None:
        if not await self._record():
            self._refuse_while_store_refuses(done)

    def _refuse_while_store_refuses(self, done: str | None = None) -> None:
        """STORE_UNAVAILABLE while the store refuses writes; `done` says what the command did anyway
        (it is recorded, in order, once the store takes it)."""
        if self.unavailable is not None and done is None:
            raise ArenaError(ErrorCode.ENGINE_UNAVAILABLE, self.unavailable)
        failure = self.outbox.failure
        if failure is None:
            return
        if done is None:
            message = f"the database is not taking writes ({failure.reason}); play resumes once it does"
        else:
            message = f"{done}, but not recorded yet: the database is not taking writes ({failure.reason})"
        raise ArenaError(ErrorCode.STORE_UNAVAILABLE, message)

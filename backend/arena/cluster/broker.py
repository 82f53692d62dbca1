"""The live events between the engine and the API replicas, through Redis pub/sub.

The engine publishes each stored batch (after its commit) as one message on `arena:events`:
`{"epoch": the engine's run, "seq": n, "events": [...]}`, the events encoded by
`arena.cluster.codec` (a model's decision goes by reference: its prompt stays in the database).
Redis pub/sub drops what is sent while a subscriber reconnects, and the engine drops what it
cannot send while Redis is away (a bounded queue); both show as a gap in `seq`. A replica that
sees a gap, a new epoch (another engine took over), or reconnects, re-syncs from the database (the
record is the source of truth): it hands its subscribers every trade stored after the last one it
relayed, per competition, then goes on with the messages, skipping trades it already relayed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any, get_args

import redis.asyncio as redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from arena.alerts.rules import AlertRule
from arena.alerts.service import AlertFired
from arena.api.types.alerts import redacted
from arena.cluster import codec
from arena.domain.events import (
    CompetitionFinished,
    CompetitionStatus,
    DecisionRecorded,
    Event,
    HistoryLoaded,
    OrderFilled,
    QuotesReceived,
    RoundCompleted,
    StateChanged,
)
from arena.store import competitions, decisions, equity, fills
from arena.store.db import Database

logger = logging.getLogger(__name__)

CHANNEL = "arena:events"
THIN_ABOVE = 256  # events in a stored batch past which its message is thinned (`_batch`)
_LIVE = (CompetitionStatus.RUNNING, CompetitionStatus.PAUSED)
Relayed = Event | AlertFired
_RELAYED = (*get_args(Event), AlertFired)
Deliver = Callable[[Sequence[Relayed]], Awaitable[None]]


class BrokerPublisher:
    """The engine's side: a sink after the store (`publish`) and the task that sends (`run`)."""

    def __init__(self, url: str, *, queue_size: int = 4096, retry_seconds: float = 0.5) -> None:
        self.url = url
        self.epoch = uuid.uuid4().hex[:12]
        self.seq = 0
        self.dropped = 0
        self.retry_seconds = retry_seconds
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(queue_size)

    def message(self, events: Sequence[Event]) -> bytes | None:
        """The next message for a stored batch (None: nothing in it for the replicas)."""
        encoded = _batch(events)
        return self._envelope(encoded) if encoded else None

    async def publish(self, events: Sequence[Event]) -> None:
        self._send(self.message(events))

    def publish_alert(self, alert: AlertFired) -> None:
        """A fired alert, once stored (the alert service's hook), for the replicas' `alerts` streams."""
        self._send(self.alert_message(alert))

    def alert_message(self, alert: AlertFired) -> bytes:
        """Its rule's secret and its channels' URLs stay here: nothing downstream signs or sends."""
        return self._envelope([codec.encode(replace(alert, rule=shown(alert.rule)))])

    def _envelope(self, encoded: list[Any]) -> bytes:
        self.seq += 1
        return json.dumps({"epoch": self.epoch, "seq": self.seq, "events": encoded}, separators=(",", ":")).encode()

    def _send(self, message: bytes | None) -> None:
        if message is None:
            return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self.dropped += 1  # the replicas see the gap in seq and read what they missed from the database
            if self.dropped == 1 or self.dropped % 1000 == 0:
                logger.warning("broker: Redis is behind; %d event messages dropped so far", self.dropped)

    async def run(self) -> None:
        client = connect(self.url)
        failing = False
        try:
            while True:
                message = await self._queue.get()
                while True:
                    try:
                        await client.publish(CHANNEL, message)
                        break
                    except (RedisError, OSError) as exc:
                        if not failing:
                            logger.warning("broker: cannot publish to Redis (%s); retrying", exc)
                            failing = True
                        await asyncio.sleep(self.retry_seconds)
                if failing:
                    logger.info("broker: publishing to Redis again")
                    failing = False
        finally:
            await client.aclose()


class BrokerRelay:
    """An API replica's side: Redis messages become the replica's own published events."""

    def __init__(
        self,
        url: str,
        db: Database,
        deliver: Deliver,
        *,
        retry_seconds: float = 0.5,
        on_message: Callable[[], None] | None = None,
    ) -> None:
        self.url = url
        self.db = db
        self.deliver = deliver
        self.retry_seconds = retry_seconds
        self.on_message = on_message  # events were committed elsewhere (the query cache drops what it had)
        self.connected = asyncio.Event()
        self.resyncs = 0
        self._epoch: str | None = None
        self._seq = 0
        self._relayed: dict[str, int] = {}  # competition id -> seq of the last trade relayed
        self._rounds: dict[str, int] = {}  # competition id -> the last round whose standings were relayed
        self._statuses: dict[str, CompetitionStatus] = {}  # competition id -> the last status relayed
        self._ended: set[str] = set()
        self._finished: set[str] = set()  # competitions whose end was relayed
        self._started = False

    async def run(self) -> None:
        failing: str | None = None
        while True:
            client = connect(self.url)
            pubsub = client.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(CHANNEL)
                await self.subscribed()
                self.connected.set()
                if failing is not None:
                    logger.info("broker: connected to Redis again")
                    failing = None
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await self.handle(message["data"])
            except (RedisError, OSError) as exc:
                self.connected.clear()
                if failing != str(exc):
                    logger.warning("broker: lost Redis (%s); reconnecting", exc)
                    failing = str(exc)
            except Exception as exc:  # the database failing a re-sync, or a bug: never stop relaying
                self.connected.clear()
                if failing != repr(exc):
                    logger.error("broker: relaying failed (%s: %s); reconnecting", type(exc).__name__, exc)
                    failing = repr(exc)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed only in newer redis-py
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(self.retry_seconds)

    async def catch_up(self, reason: str) -> None:
        """Relay what the database has that the messages did not bring (before this process stops
        relaying: a standby taking over hands its subscribers the old engine's last trades)."""
        if self._started:
            await self._resync(reason)

    async def subscribed(self) -> None:
        """Now listening (again): what was stored while it was not is relayed first."""
        await self._resync("connected" if not self._started else "reconnected")
        self._started = True

    async def handle(self, raw: bytes | str) -> None:
        """One message from the channel."""
        try:
            envelope = json.loads(raw)
            epoch, seq = str(envelope["epoch"]), int(envelope["seq"])
            events = [event for item in envelope["events"] for event in await self._decode(item)]
        except (SQLAlchemyError, OSError):
            raise  # the database, not the message: run() reconnects and re-syncs
        except Exception as exc:  # anything else in a message from outside: skipped, never fatal
            logger.warning("broker: an unreadable message skipped (%s: %s); re-syncing", type(exc).__name__, exc)
            await self._resync("unreadable message")
            return
        if self.on_message is not None:
            self.on_message()
        if epoch != self._epoch or seq != self._seq + 1:
            if self._epoch is None:
                reason = "the first message"
            elif epoch != self._epoch:
                reason = "a new engine"
            else:
                reason = f"a gap (message {seq} after {self._seq})"
            self._epoch, self._seq = epoch, seq
            await self._resync(reason)
        else:
            self._seq = seq
        await self.deliver(self._fresh(events))

    async def _decode(self, item: Any) -> list[Relayed]:
        if isinstance(item, dict) and "decision" in item:
            competition_id, seq = item["decision"]
            decision = await decisions.get_decision(self.db, str(competition_id), int(seq))
            return [] if decision is None else [DecisionRecorded(str(competition_id), decision)]
        if isinstance(item, dict) and "fills" in item:
            competition_id, first, last = str(item["fills"][0]), int(item["fills"][1]), int(item["fills"][2])
            stored = await fills.competition_fills(self.db, competition_id, after_seq=first - 1, through_seq=last)
            return [OrderFilled(competition_id, fill) for fill in stored]
        event = codec.decode(item)
        if not isinstance(event, _RELAYED):
            raise codec.CodecError(f"{type(event).__name__} is not an event")
        return [event]

    def _fresh(self, events: list[Relayed]) -> list[Relayed]:
        """The events minus the trades a re-sync already relayed; notes what is relayed."""
        fresh: list[Relayed] = []
        for event in events:
            if isinstance(event, OrderFilled):
                if event.fill.seq <= self._relayed.get(event.competition_id, 0):
                    continue
                self._relayed[event.competition_id] = event.fill.seq
            elif self._known(event):
                continue  # a re-sync already brought this state
            else:
                self._note(event)
            fresh.append(event)
        return fresh

    def _known(self, event: Relayed) -> bool:
        if isinstance(event, RoundCompleted):
            return event.round <= self._rounds.get(event.competition_id, 0)
        if isinstance(event, StateChanged):
            return self._statuses.get(event.competition_id) is event.status
        if isinstance(event, CompetitionFinished):
            return event.competition_id in self._finished
        return False

    def _note(self, event: Relayed) -> None:
        """What the subscribers have now seen of a competition's state."""
        if isinstance(event, StateChanged):
            self._statuses[event.competition_id] = event.status
            if event.status not in _LIVE:
                self._ended.add(event.competition_id)
        elif isinstance(event, (RoundCompleted, CompetitionFinished)):
            self._rounds[event.competition_id] = max(event.round, self._rounds.get(event.competition_id, 0))
            if isinstance(event, CompetitionFinished):
                self._finished.add(event.competition_id)

    async def _state_since(self, competition_id: str) -> list[Relayed]:
        """The competition's state as stored, where it is ahead of what was relayed: its status (and
        its end), then its standings."""
        row = await competitions.get_competition(self.db, competition_id)
        if row is None:
            return []
        status = CompetitionStatus(row.status)
        events: list[Relayed] = []
        seen = self._statuses.get(competition_id)
        if seen is not None and seen is not status:
            changed = row.ended_at or await equity.round_time(self.db, competition_id, row.round) or row.created_at
            events.append(StateChanged(competition_id, seen, status, row.round, changed, "re-synced from the record"))
        if row.round > self._rounds.get(competition_id, 0):
            at = await equity.round_time(self.db, competition_id, row.round)
            standings = tuple(await equity.latest_standings(self.db, competition_id))
            if at is not None and standings:
                ended = status in (CompetitionStatus.FINISHED, CompetitionStatus.STOPPED)
                if ended and competition_id not in self._finished:
                    end = row.ended_at or at
                    events.append(
                        CompetitionFinished(competition_id, status, row.round, end, row.winner_agent_id, standings)
                    )
                else:
                    events.append(RoundCompleted(competition_id, row.round, at, standings))
        return events

    async def _resync(self, reason: str) -> None:
        """Relay, from the database, every trade stored after the last one relayed (per competition).
        At the first connection nothing is replayed: subscribers join from now on."""
        self.resyncs += 1
        if self.on_message is not None:
            self.on_message()
        live = {row.id for status in _LIVE for row in await competitions.list_competitions(self.db, status=status)}
        known = set(self._relayed) - self._ended
        missed: list[Relayed] = []
        positions: dict[str, int] = {}
        states: list[Relayed] = []
        for competition_id in sorted(live | known):
            after = self._relayed.get(competition_id, 0)  # new since the last message: all of it was missed
            if not self._started:
                positions[competition_id] = await fills.last_fill_seq(self.db, competition_id)
                continue
            stored = await fills.competition_fills(self.db, competition_id, after_seq=after)
            missed.extend(OrderFilled(competition_id, fill) for fill in stored)
            positions[competition_id] = max(after, stored[-1].seq if stored else 0)
            states.extend(await self._state_since(competition_id))
        missed.extend(states)  # the trades first, then the state they led to
        if self._started:
            level = logging.INFO if missed or reason != "the first message" else logging.DEBUG
            trades = len(missed) - len(states)
            logger.log(level, "broker: re-synced after %s: %d trades from the database", reason, trades)
        if missed:
            await self.deliver(missed)
        # relayed only once delivered: a re-sync cut short is done again in full next time
        self._relayed.update(positions)
        for event in states:
            self._note(event)
        self._ended.update(c for c in positions if c not in live)


def shown(rule: AlertRule, *, secret: bool = False) -> AlertRule:
    """A rule as it may travel: channel URLs redacted as the API shows them (they may hold tokens),
    the secret blank unless `secret` (the creator's answer, shown once)."""
    return replace(
        rule,
        secret=rule.secret if secret else "",
        webhook_url=redacted(rule.webhook_url) if rule.webhook_url else None,
        apprise_urls=tuple(redacted(url) for url in rule.apprise_urls),
    )


def connect(url: str) -> redis.Redis:
    """A client that notices a dead connection: TCP keepalives, and a PING on a connection idle for
    5 s (pub/sub included), so a half-open socket fails instead of waiting forever."""
    return redis.from_url(url, socket_keepalive=True, socket_connect_timeout=5, health_check_interval=5)


def _batch(events: Sequence[Event]) -> list[Any]:
    """A stored batch as the replicas get it. A big one (a replay at max speed) is thinned: of its
    quotes and standings only the last per feed and per competition go (they are states: the next
    replaces them), and its trades go as seq ranges that the replicas read from the database."""
    events = [e for e in events if not isinstance(e, HistoryLoaded)]
    if len(events) <= THIN_ABOVE:
        return [_encode(event) for event in events]
    last_state: dict[tuple[str, str], int] = {}
    for index, event in enumerate(events):
        if isinstance(event, QuotesReceived):
            last_state[("quotes", event.feed_id)] = index
        elif isinstance(event, RoundCompleted):
            last_state[("round", event.competition_id)] = index
    kept = set(last_state.values())
    out: list[Any] = []
    run: list[OrderFilled] = []
    for index, event in enumerate(events):
        if isinstance(event, OrderFilled):
            if run and (run[-1].competition_id != event.competition_id or run[-1].fill.seq + 1 != event.fill.seq):
                out.append(_fills(run))
                run = []
            run.append(event)
            continue
        if isinstance(event, (QuotesReceived, RoundCompleted)) and index not in kept:
            continue  # dropped: the trades around it stay one range
        if run:
            out.append(_fills(run))
            run = []
        out.append(_encode(event))
    if run:
        out.append(_fills(run))
    return out


def _fills(run: list[OrderFilled]) -> Any:
    return {"fills": [run[0].competition_id, run[0].fill.seq, run[-1].fill.seq]}


def _encode(event: Event) -> Any:
    if isinstance(event, DecisionRecorded):
        return {"decision": [event.competition_id, event.decision.seq]}
    return codec.encode(event)

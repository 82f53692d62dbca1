"""The replica's relay on a real SQLite file, messages made by the engine's own publisher: in order it
passes them on; a gap, a new engine or a reconnect re-syncs the trades from the database; no trade
twice; a decision comes by reference; what is not a message is skipped and re-synced."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from arena.alerts.rules import AlertKind, AlertRule
from arena.alerts.service import AlertFired
from arena.cluster.broker import BrokerPublisher, BrokerRelay
from arena.domain.decisions import Decision, ModelAnswer
from arena.domain.events import (
    CompetitionFinished,
    CompetitionStatus,
    DecisionRecorded,
    Event,
    OrderFilled,
    StateChanged,
)
from arena.store.db import Database
from arena.store.recorder import Recorder
from tests.store.store_builders import T0, Ledger, created, finished, quotes, round_completed, state

UNUSED = "redis://127.0.0.1:9/0"  # neither side connects in these tests


class Subscribers:
    def __init__(self) -> None:
        self.events: list[Event] = []

    async def deliver(self, events) -> None:
        self.events.extend(events)

    def trades(self) -> list[int]:
        return [e.fill.seq for e in self.events if isinstance(e, OrderFilled)]


async def setup(tmp_path: Path) -> tuple[Database, Recorder, Ledger, BrokerPublisher, BrokerRelay, Subscribers]:
    db = Database.from_path(tmp_path / "arena.db")
    await db.init()
    recorder = Recorder(db)
    birth = created("c1")
    await recorder.record([birth, state("c1", CompetitionStatus.IDLE, CompetitionStatus.RUNNING)])
    subscribers = Subscribers()
    relay = BrokerRelay(UNUSED, db, subscribers.deliver)
    return db, recorder, Ledger("c1", [e.agent_id for e in birth.entrants]), BrokerPublisher(UNUSED), relay, subscribers


async def stored_batch(recorder: Recorder, publisher: BrokerPublisher, events: list[Event]) -> bytes:
    await recorder.record(events)  # as the engine: stored first, then published
    message = publisher.message(events)
    assert message is not None
    return message


async def test_in_order_messages_pass_on_and_a_gap_is_filled_from_the_database(tmp_path: Path) -> None:
    db, recorder, ledger, publisher, relay, subscribers = await setup(tmp_path)
    try:
        await stored_batch(recorder, publisher, ledger.fills(2))  # before the replica listened: not replayed
        await relay.subscribed()
        assert subscribers.events == []
        await relay.handle(await stored_batch(recorder, publisher, ledger.fills(3)))
        assert subscribers.trades() == [3, 4, 5]
        await stored_batch(recorder, publisher, ledger.fills(2))  # lost on the way: seq 6, 7
        await relay.handle(await stored_batch(recorder, publisher, ledger.fills(2)))
        assert subscribers.trades() == [3, 4, 5, 6, 7, 8, 9], "the gap came from the database, then the message"
        await relay.subscribed()  # a reconnect with nothing missed: nothing twice
        await relay.handle(await stored_batch(recorder, publisher, ledger.fills(1)))
        assert subscribers.trades() == [3, 4, 5, 6, 7, 8, 9, 10]
        assert relay.resyncs == 4  # connect, the first message, the gap, the reconnect
    finally:
        await db.close()


async def test_a_new_engine_re_syncs_what_the_old_one_stored_and_never_sent(tmp_path: Path) -> None:
    db, recorder, ledger, publisher, relay, subscribers = await setup(tmp_path)
    try:
        await relay.subscribed()
        await relay.handle(await stored_batch(recorder, publisher, ledger.fills(2)))
        await recorder.record(ledger.fills(2))  # the old engine stored these, then died before sending
        successor = BrokerPublisher(UNUSED)
        await relay.handle(await stored_batch(recorder, successor, ledger.fills(1)))
        assert subscribers.trades() == [1, 2, 3, 4, 5]
    finally:
        await db.close()


async def test_an_unreadable_message_is_skipped_and_re_synced(tmp_path: Path) -> None:
    db, recorder, ledger, publisher, relay, subscribers = await setup(tmp_path)
    try:
        await relay.subscribed()
        await relay.handle(await stored_batch(recorder, publisher, ledger.fills(1)))
        await recorder.record(ledger.fills(1))
        for garbage in (
            b"not json",
            b'{"epoch": "x"}',
            b'{"epoch": "x", "seq": 9, "events": [{"_": "Nope", "v": []}]}',
        ):
            await relay.handle(garbage)
        assert subscribers.trades() == [1, 2]
    finally:
        await db.close()


async def test_a_decision_goes_by_reference_and_comes_back_whole(tmp_path: Path) -> None:
    db, recorder, ledger, publisher, relay, subscribers = await setup(tmp_path)
    try:
        agent = ledger.agents[0]
        answer = ModelAnswer(agent, 1, T0, T0, "stand-in-model", "a long prompt " * 2000, '{"actions": []}')
        decision = Decision("c1", agent, agent.rsplit("/", 1)[-1], 1, 1, T0, answer)
        await relay.subscribed()
        message = await stored_batch(recorder, publisher, [DecisionRecorded("c1", decision)])
        assert len(message) < 300, "the prompt stays in the database"
        await relay.handle(message)
        assert subscribers.events == [DecisionRecorded("c1", decision)]
    finally:
        await db.close()


async def test_a_fired_alert_goes_out_without_its_secret_or_its_urls(tmp_path: Path) -> None:
    db, _recorder, _ledger, publisher, relay, subscribers = await setup(tmp_path)
    try:
        rule = AlertRule("alert-1", AlertKind.AGENT_TRADE, webhook_url="https://hooks.example/x", secret="whsec_s3cret")
        alert = AlertFired(7, rule, "momentum bought", {"price": Decimal("1.50")}, T0)
        message = publisher.alert_message(alert)
        assert b"whsec_s3cret" not in message and b"/x" not in message
        await relay.subscribed()
        await relay.handle(message)
        redacted = replace(rule, secret="", webhook_url="https://hooks.example/…")
        assert subscribers.events == [replace(alert, rule=redacted)]
    finally:
        await db.close()


async def test_a_max_speed_batch_goes_thinned_and_every_trade_still_arrives(tmp_path: Path) -> None:
    db, recorder, ledger, publisher, relay, subscribers = await setup(tmp_path)
    try:
        batch: list[Event] = []
        for round_ in range(1, 201):
            at = T0 + timedelta(minutes=round_)
            batch += [quotes("c1", round_, at), *ledger.fills(2, round_=round_, at=at)]
            batch.append(round_completed("c1", round_, at, ledger.agents))
        await relay.subscribed()
        message = await stored_batch(recorder, publisher, batch)
        assert len(message) < 4_000, f"{len(message)} bytes: the batch went whole"
        assert message.count(b'"fills"') == 2, "the trades as two seq ranges (before and after the last quotes)"
        await relay.handle(message)
        assert subscribers.trades() == list(range(1, 401)), "every trade, from the database, in order"
        states = [e for e in subscribers.events if not isinstance(e, OrderFilled)]
        assert sorted(type(e).__name__ for e in states) == ["QuotesReceived", "RoundCompleted"]  # the last of each
        assert batch[-1] in states, "the last standings, as the engine had them"
    finally:
        await db.close()


async def test_an_end_lost_in_a_gap_is_re_synced_with_its_standings(tmp_path: Path) -> None:
    db, recorder, ledger, publisher, relay, subscribers = await setup(tmp_path)
    try:
        at1, at2 = T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
        await relay.subscribed()
        first = [*ledger.fills(1, round_=1, at=at1), round_completed("c1", 1, at1, ledger.agents)]
        await relay.handle(await stored_batch(recorder, publisher, first))
        await relay.handle(
            await stored_batch(recorder, publisher, [state("c1", CompetitionStatus.IDLE, CompetitionStatus.RUNNING)])
        )
        end = finished("c1", 2, at2, ledger.agents, CompetitionStatus.FINISHED)
        lost = [
            round_completed("c1", 2, at2, ledger.agents),
            state("c1", CompetitionStatus.RUNNING, CompetitionStatus.FINISHED, round_=2, at=at2),
            end,
        ]
        await stored_batch(recorder, publisher, lost)  # never arrives
        await relay.handle(await stored_batch(recorder, publisher, [quotes(None, None, at2)]))  # the market goes on
        ended = [e for e in subscribers.events if isinstance(e, (StateChanged, CompetitionFinished))]
        assert [(type(e).__name__, e.status) for e in ended][-2:] == [
            ("StateChanged", CompetitionStatus.FINISHED),
            ("CompetitionFinished", CompetitionStatus.FINISHED),
        ]
        assert ended[-1].leaderboard == end.leaderboard and ended[-1].winner_id == end.winner_id
    finally:
        await db.close()

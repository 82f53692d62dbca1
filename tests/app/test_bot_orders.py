"""BotOrders: client order ids while queued and once recorded; settling frees the book; a rejection frees the id."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from arena.agents.spec import AgentSpec
from arena.app.bot_orders import BotOrders
from arena.domain.events import CompetitionStatus
from arena.domain.market import Quote, QuoteBatch
from arena.domain.orders import Fill, OrderIntent, Rejection, Side
from arena.engine.competition import Competition
from arena.errors import ArenaError, ErrorCode

from ..builders import sim_config

D = Decimal
T0 = datetime(2024, 1, 1, tzinfo=UTC)
BOT, OTHER_BOT = "c-0", "c-1"


def running_competition() -> Competition:
    # fee 10 bps, slippage 5 bps (the defaults)
    config = sim_config(agents=(AgentSpec.bot("bot", "bot-1"), AgentSpec.bot("other", "bot-2")), symbols=("BTC-USD",))
    competition = Competition("c", config)
    competition.transition(CompetitionStatus.RUNNING, T0)
    return competition


def play(competition: Competition, price: str = "100") -> list:
    """Play a round at `price` and settle every outcome's ticket, as the outbox does once recorded."""
    at = T0 + timedelta(minutes=competition.round)
    competition.play_round(QuoteBatch(at, (Quote("BTC-USD", D(price), at),)))
    outcomes = competition.take_outcomes()
    for ticket, outcome in outcomes:
        if ticket is not None:
            ticket.settle(outcome)
    return [outcome for _, outcome in outcomes]


def buy(quantity: str = "1", coid: str | None = "order-1") -> OrderIntent:
    return OrderIntent("BTC-USD", Side.BUY, quantity=D(quantity), client_order_id=coid)


class RecordedFills:
    """An in-memory stand-in for the store's fills, looked up by (agent id, client order id)."""

    def __init__(self) -> None:
        self.fills: dict[tuple[str, str], Fill] = {}
        self.lookups: list[tuple[str, str]] = []

    def record(self, outcomes) -> None:
        for outcome in outcomes:
            if isinstance(outcome, Fill) and outcome.client_order_id is not None:
                self.fills[(outcome.agent_id, outcome.client_order_id)] = outcome

    async def __call__(self, agent_id: str, client_order_id: str) -> Fill | None:
        self.lookups.append((agent_id, client_order_id))
        return self.fills.get((agent_id, client_order_id))


async def test_the_same_order_under_the_same_id_while_queued_is_the_same_future():
    competition = running_competition()
    orders = BotOrders()
    first = await orders.submit(competition, BOT, buy())
    again = await orders.submit(competition, BOT, buy())
    assert again is first
    assert len(competition.entrants[BOT].inbox) == 1  # queued once
    assert orders.waiting == 1
    assert not first.done()

    play(competition)
    fill = first.result()
    assert isinstance(fill, Fill)
    # 1 BTC at 100 x (1 + 5 bps) = 100.05, fee ceil8(100.05 x 10 bps) = 0.10005
    assert (fill.agent_id, fill.quantity, fill.price, fill.fee, fill.round) == (BOT, D(1), D("100.05"), D("0.10005"), 1)
    assert competition.entrants[BOT].account.cash == D("9899.84995")  # 10000 - 100.05 - 0.10005


async def test_a_different_order_under_a_queued_id_is_refused():
    competition = running_competition()
    orders = BotOrders()
    await orders.submit(competition, BOT, buy("1"))
    for different in (
        buy("2"),
        OrderIntent("BTC-USD", Side.SELL, quantity=D(1), client_order_id="order-1"),
        OrderIntent("BTC-USD", Side.BUY, notional=D(1), client_order_id="order-1"),
    ):
        with pytest.raises(ArenaError) as err:
            await orders.submit(competition, BOT, different)
        assert err.value.code is ErrorCode.DUPLICATE_CLIENT_ORDER_ID
        assert err.value.field == "clientOrderId"
    assert len(competition.entrants[BOT].inbox) == 1 and orders.waiting == 1


async def test_ids_belong_to_one_agent():
    competition = running_competition()
    orders = BotOrders()
    mine = await orders.submit(competition, BOT, buy("1"))
    theirs = await orders.submit(competition, OTHER_BOT, buy("2"))  # the same id, another agent: no clash
    assert theirs is not mine and orders.waiting == 2
    play(competition)
    assert (mine.result().agent_id, mine.result().quantity) == (BOT, D(1))
    assert (theirs.result().agent_id, theirs.result().quantity) == (OTHER_BOT, D(2))


async def test_orders_without_an_id_are_never_deduplicated():
    competition = running_competition()
    orders = BotOrders()
    one = await orders.submit(competition, BOT, buy(coid=None))
    two = await orders.submit(competition, BOT, buy(coid=None))
    assert one is not two
    assert orders.waiting == 0  # only orders with an id are held in the book
    play(competition)
    assert [one.result().seq, two.result().seq] == [1, 2]  # both filled


async def test_settling_the_outcome_frees_the_book():
    competition = running_competition()
    orders = BotOrders()
    future = await orders.submit(competition, BOT, buy())
    competition.play_round(QuoteBatch(T0, (Quote("BTC-USD", D(100), T0),)))
    # played but not yet recorded: still held, still pending
    assert orders.waiting == 1 and not future.done()
    [(ticket, outcome)] = competition.take_outcomes()
    ticket.settle(outcome)
    assert orders.waiting == 0
    assert future.result() is outcome


async def test_after_settling_without_a_store_the_id_queues_again():
    # with no record to ask, the book only knows queued orders
    competition = running_competition()
    orders = BotOrders()
    first = await orders.submit(competition, BOT, buy())
    play(competition)
    again = await orders.submit(competition, BOT, buy())
    assert again is not first and orders.waiting == 1


async def test_a_recorded_fill_is_returned_without_queuing_anything():
    competition = running_competition()
    record = RecordedFills()
    orders = BotOrders(record)
    first = await orders.submit(competition, BOT, buy())
    record.record(play(competition))
    assert orders.waiting == 0

    again = await orders.submit(competition, BOT, buy())
    assert again.done() and again.result() == first.result()
    assert record.lookups[-1] == (BOT, "order-1")
    assert not competition.entrants[BOT].inbox and orders.waiting == 0
    # a round later still nothing more was bought: one fill of 1 BTC
    assert play(competition) == []
    assert competition.entrants[BOT].account.quantity("BTC-USD") == D(1)


async def test_a_different_order_under_a_recorded_id_is_refused():
    competition = running_competition()
    record = RecordedFills()
    orders = BotOrders(record)
    await orders.submit(competition, BOT, buy("1"))
    record.record(play(competition))
    with pytest.raises(ArenaError) as err:
        await orders.submit(competition, BOT, buy("3"))
    assert err.value.code is ErrorCode.DUPLICATE_CLIENT_ORDER_ID
    assert not competition.entrants[BOT].inbox and orders.waiting == 0


async def test_a_rejected_order_frees_its_id():
    competition = running_competition()
    record = RecordedFills()
    orders = BotOrders(record)
    sell = OrderIntent("BTC-USD", Side.SELL, quantity=D(1), client_order_id="retry-me")
    refused = await orders.submit(competition, BOT, sell)
    record.record(play(competition))
    rejection = refused.result()
    assert isinstance(rejection, Rejection) and rejection.code is ErrorCode.INSUFFICIENT_POSITION  # holds nothing
    assert orders.waiting == 0

    # the account did not change, so the id is free: even for a different order
    retried = OrderIntent("BTC-USD", Side.BUY, quantity=D("0.5"), client_order_id="retry-me")
    future = await orders.submit(competition, BOT, retried)
    assert future is not refused and orders.waiting == 1
    record.record(play(competition))
    assert isinstance(future.result(), Fill) and future.result().quantity == D("0.5")


async def test_an_order_refused_up_front_holds_nothing():
    config = sim_config(agents=(AgentSpec.bot("bot", "bot-1"),), symbols=("BTC-USD",))
    competition = Competition("c", config)  # IDLE: not running yet
    orders = BotOrders()
    with pytest.raises(ArenaError) as err:
        await orders.submit(competition, BOT, buy())
    assert err.value.code is ErrorCode.NOT_RUNNING
    assert orders.waiting == 0
    competition.transition(CompetitionStatus.RUNNING, T0)
    # the id was not used up: a different order under it is accepted now
    future = await orders.submit(competition, BOT, buy("2"))
    play(competition)
    assert future.result().quantity == D(2)


async def test_orders_rejected_by_a_pause_are_settled_and_freed():
    competition = running_competition()
    orders = BotOrders()
    future = await orders.submit(competition, BOT, buy())
    competition.leave_running(CompetitionStatus.PAUSED, T0, "operator")
    for ticket, outcome in competition.take_outcomes():
        ticket.settle(outcome)
    assert future.result().code is ErrorCode.PAUSED
    assert orders.waiting == 0


class GatedLookup:
    """A record lookup that finds nothing, and answers only once `gate` is set; `arrived` is set when
    `expected` lookups are waiting."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.arrived = asyncio.Event()
        self.gate = asyncio.Event()

    async def __call__(self, agent_id: str, client_order_id: str) -> Fill | None:
        self.count += 1
        if self.count == self.expected:
            self.arrived.set()
        await self.gate.wait()
        return None


async def test_the_same_order_sent_twice_while_the_record_is_asked_is_queued_once():
    competition = running_competition()
    lookup = GatedLookup(expected=2)
    orders = BotOrders(lookup)
    first = asyncio.create_task(orders.submit(competition, BOT, buy()))
    second = asyncio.create_task(orders.submit(competition, BOT, buy()))
    await asyncio.wait_for(lookup.arrived.wait(), 2)  # both are asking the record: neither has queued yet
    assert not competition.entrants[BOT].inbox
    lookup.gate.set()
    one, two = await asyncio.wait_for(asyncio.gather(first, second), 2)
    assert one is two
    assert len(competition.entrants[BOT].inbox) == 1 and orders.waiting == 1


async def test_a_different_order_sent_while_the_record_is_asked_is_refused():
    competition = running_competition()
    lookup = GatedLookup(expected=2)
    orders = BotOrders(lookup)
    first = asyncio.create_task(orders.submit(competition, BOT, buy("1")))
    second = asyncio.create_task(orders.submit(competition, BOT, buy("2")))
    await asyncio.wait_for(lookup.arrived.wait(), 2)
    lookup.gate.set()
    results = await asyncio.wait_for(asyncio.gather(first, second, return_exceptions=True), 2)
    assert isinstance(results[0], asyncio.Future)
    assert isinstance(results[1], ArenaError) and results[1].code is ErrorCode.DUPLICATE_CLIENT_ORDER_ID
    assert len(competition.entrants[BOT].inbox) == 1


async def test_a_fill_recorded_before_orders_were_kept_matches_on_symbol_and_side():
    """Fills stored before the arena kept the order as asked (schema 0001) know only what they filled."""
    competition = running_competition()
    record = RecordedFills()
    orders = BotOrders(record)
    await orders.submit(competition, BOT, buy("1"))
    [filled] = play(competition)
    legacy = replace(filled, intent=OrderIntent("BTC-USD", Side.BUY, client_order_id="order-1"))  # amounts unknown
    record.fills[(BOT, "order-1")] = legacy
    again = await orders.submit(
        competition, BOT, OrderIntent("BTC-USD", Side.BUY, notional=D(100), client_order_id="order-1")
    )
    assert again.result() is legacy  # the retry of a notional order: the first fill, not a second one
    with pytest.raises(ArenaError) as err:
        await orders.submit(
            competition, BOT, OrderIntent("BTC-USD", Side.SELL, quantity=D(1), client_order_id="order-1")
        )
    assert err.value.code is ErrorCode.DUPLICATE_CLIENT_ORDER_ID
    assert legacy.replayable_intent.quantity == filled.quantity  # how recovery sends it again

"""Hypothesis over arbitrary order inputs (issue 7): every order fills or is refused with a documented
code, never anything else; a refusal changes nothing; cash never goes negative.

Orders go two ways: straight into `matching.execute` against an account, prices and costs, and
through a competition (`submit_external`, then `play_round`) for a BOT entrant, as the API sends them.
Inputs: known, unknown, empty and unicode symbols; quantities and notionals that are NaN, sNaN,
±Infinity, zero, negative, huge (1E+400) or tiny (1E-30), both or neither given; prices from a
satoshi to a million; fee and slippage from zero to 10 %.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from arena.agents.spec import AgentSpec
from arena.domain.account import Account, Position
from arena.domain.events import CompetitionStatus, OrderFilled, OrderRejected
from arena.domain.market import Quote, QuoteBatch
from arena.domain.orders import Fill, OrderIntent, Rejection, Side
from arena.domain.values import bps
from arena.engine.competition import Competition
from arena.engine.matching import Costs, Execution, execute
from arena.errors import ArenaError, ErrorCode

from ..builders import sim_config

T0 = datetime(2024, 1, 1, tzinfo=UTC)
SYMBOLS = ("BTC-USD", "ETH-USD", "SOL-USD")
# the refusals an order may get from the engine (README, "Paper trading rules"); NO_PRICE: a symbol
# the competition trades but has no price for yet, or whose price rounds to nothing
ORDER_CODES = {
    ErrorCode.INSUFFICIENT_CASH,
    ErrorCode.INSUFFICIENT_POSITION,
    ErrorCode.UNKNOWN_SYMBOL,
    ErrorCode.INVALID_QUANTITY,
    ErrorCode.NO_PRICE,
}
# submit_external refuses an order up front only for these
SUBMIT_CODES = {ErrorCode.NOT_RUNNING, ErrorCode.PAUSED, ErrorCode.NOT_FOUND}

HOSTILE_AMOUNTS = [
    "NaN",
    "-NaN",
    "sNaN",
    "-sNaN",
    "Infinity",
    "-Infinity",
    "0",
    "-0",
    "0E-30",
    "-1",
    "-0.00000001",
    "1E+400",
    "-1E+400",
    "1E+999999",
    "1E-30",
    "1E-999999",
    "1E-8",
    "5E-9",
    "0.000000015",
    "1E+15",
    "999999999999999",
    "999999999999999.99999999",
    "1000000000000000.00000001",
    "0.1",
    "1",
    "100",
    "10000",
    "12345.678901234567890123456789",
]

known_symbols = st.sampled_from(SYMBOLS)
symbols = st.one_of(
    known_symbols,
    known_symbols,  # twice: an order for a known symbol goes furthest
    st.sampled_from(
        [
            "DOGE-USD",
            "",
            " ",
            "btc-usd",
            "BTC-USD ",
            " BTC-USD",
            "BTC\u2010USD",
            "\u20bf-USD",
            "\x00",
            "\ud800",
            "BTC-USD\x00",
            "\u0000BTC",
        ]
    ),
    st.text(max_size=12),
)
amounts = st.one_of(
    st.sampled_from(HOSTILE_AMOUNTS).map(Decimal),
    # at the largest amount allowed, the arithmetic works at its widest
    st.sampled_from(["1E+15", "999999999999999", "999999999999999.99999999", "500000000000000"]).map(Decimal),
    st.decimals(min_value=Decimal("1E+12"), max_value=Decimal("1E+15"), places=8),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=Decimal("1E-10"), max_value=Decimal("1E+16")),
    st.integers(min_value=-(10**20), max_value=10**20).map(Decimal),
)
# from a satoshi to a million: a replay can carry any of these
prices = st.one_of(
    st.sampled_from(
        [
            "0.00000001",
            "0.00000002",
            "0.00000999",
            "0.00002853",
            "1.1",
            "150",
            "3000",
            "65000",
            "99999.99",
            "100000",
            "150000",
            "1000000",
        ]
    ).map(Decimal),
    st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("0.001"), places=8),
    st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal("1000000"), places=8),
)
books = st.fixed_dictionaries({}, optional={symbol: prices for symbol in SYMBOLS})
cost_bps = st.sampled_from(["0", "1", "5", "10", "100", "1000"]).map(Decimal)


@st.composite
def intents(draw) -> OrderIntent:
    how = draw(st.sampled_from(["quantity", "notional", "quantity", "notional", "both", "neither"]))
    quantity = draw(amounts) if how in ("quantity", "both") else None
    notional = draw(amounts) if how in ("notional", "both") else None
    return OrderIntent(
        draw(symbols),
        draw(st.sampled_from(Side)),
        quantity=quantity,
        notional=notional,
        client_order_id=draw(st.none() | st.text(max_size=8)),
    )


@st.composite
def accounts(draw) -> Account:
    """An account with some cash and, maybe, positions bought at some price."""
    cash = draw(st.sampled_from(["0", "0.00000001", "1", "10000", "1000000000000"]).map(Decimal))
    account = Account.open(cash)
    for symbol in draw(st.lists(st.sampled_from(SYMBOLS), max_size=3, unique=True)):
        quantity = draw(st.sampled_from(["0.00000001", "0.5", "1", "1000", "1000000"]).map(Decimal))
        price = draw(prices)
        account.positions[symbol] = Position(symbol, quantity, (quantity * price).quantize(Decimal("1e-8")))
    return account


def state(account: Account) -> tuple:
    """Everything a refused order must leave as it was."""
    return (
        account.cash,
        account.realized_pnl,
        account.fees_paid,
        account.trade_count,
        tuple(sorted((s, p.quantity, p.cost_basis) for s, p in account.positions.items())),
    )


def check_account(account: Account) -> None:
    assert account.cash >= 0, f"cash went negative: {account.cash}"
    for symbol, position in account.positions.items():
        assert position.quantity > 0, f"{symbol}: a position of {position.quantity}"


SETTINGS = settings(max_examples=500, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


# the widest arithmetic: the largest amount allowed at the highest and the lowest prices
@example(
    account=Account.open(Decimal(10_000)),
    intent=OrderIntent("BTC-USD", Side.BUY, quantity=Decimal("1E+15")),
    book={"BTC-USD": Decimal("150000")},
    fee=Decimal(10),
    slippage=Decimal(5),
)
@example(
    account=Account.open(Decimal(10_000)),
    intent=OrderIntent("BTC-USD", Side.SELL, quantity=Decimal("1E+15")),
    book={"BTC-USD": Decimal("150000")},
    fee=Decimal(10),
    slippage=Decimal(5),
)
@example(
    account=Account.open(Decimal(10_000)),
    intent=OrderIntent("BTC-USD", Side.BUY, notional=Decimal("1E+15")),
    book={"BTC-USD": Decimal("0.00000001")},
    fee=Decimal(0),
    slippage=Decimal(0),
)
@SETTINGS
@given(account=accounts(), intent=intents(), book=books, fee=cost_bps, slippage=cost_bps)
def test_execute_fills_or_refuses_with_a_code_and_a_refusal_changes_nothing(account, intent, book, fee, slippage):
    before = state(account)
    snapshot = copy.deepcopy(account)
    try:
        done = execute(account, intent, book, frozenset(SYMBOLS), Costs(bps(fee), bps(slippage)))
    except ArenaError as refusal:
        assert refusal.code in ORDER_CODES, f"{intent}: refused with {refusal.code}"
        assert state(account) == before, f"{intent}: refused with {refusal.code} but the account changed"
        return
    assert isinstance(done, Execution)
    assert intent.symbol in SYMBOLS and intent.symbol in book
    assert done.quantity > 0 and done.price > 0 and done.fee >= 0
    assert account.trade_count == snapshot.trade_count + 1
    held = account.positions[intent.symbol].quantity if intent.symbol in account.positions else Decimal(0)
    was = snapshot.positions[intent.symbol].quantity if intent.symbol in snapshot.positions else Decimal(0)
    if done.side is Side.BUY:
        assert held == was + done.quantity
        assert account.cash == snapshot.cash - (done.quantity * done.price).quantize(Decimal("1e-8")) - done.fee
    else:
        assert held == was - done.quantity
    check_account(account)


def batch(i: int, book: dict[str, Decimal]) -> QuoteBatch:
    ts = T0 + timedelta(minutes=i)
    return QuoteBatch(ts, tuple(Quote(s, p, ts) for s, p in book.items()))


@SETTINGS
@given(
    rounds=st.lists(st.tuples(books, st.lists(intents(), max_size=4)), min_size=1, max_size=4),
    cash=st.sampled_from(["1", "10000", "1000000000000"]).map(Decimal),
    fee=cost_bps,
    slippage=cost_bps,
)
def test_a_bot_order_through_a_competition_fills_or_is_refused_with_a_code(rounds, cash, fee, slippage):
    config = sim_config(agents=(AgentSpec.bot("bot", "bot-1"),), starting_cash=cash, fee_bps=fee, slippage_bps=slippage)
    competition = Competition("c", config, symbols=SYMBOLS)
    competition.transition(CompetitionStatus.RUNNING, T0)
    account = competition.entrants["c-0"].account
    for number, (book, orders) in enumerate(rounds, start=1):
        tickets = []
        for intent in orders:
            ticket = object()
            competition.submit_external("c-0", intent, ticket)  # RUNNING: queued, never refused here
            tickets.append(ticket)
        before = state(account)
        events = competition.play_round(batch(number, book))  # must not raise, whatever the orders
        outcomes = dict((id(t), o) for t, o in competition.outcomes)
        competition.outcomes.clear()
        assert [type(outcomes[id(t)]) for t in tickets] == [
            type(e.fill if isinstance(e, OrderFilled) else e.rejection)
            for e in events
            if isinstance(e, (OrderFilled, OrderRejected))
        ], "one event per order, in order"
        for outcome in outcomes.values():
            if isinstance(outcome, Rejection):
                assert outcome.code in ORDER_CODES, f"{outcome.intent}: refused with {outcome.code}"
            else:
                assert isinstance(outcome, Fill) and outcome.quantity > 0
        if all(isinstance(o, Rejection) for o in outcomes.values()):
            assert state(account) == before, "only refusals, yet the account changed"
        check_account(account)
        assert account.trade_count == sum(1 for e in events if isinstance(e, OrderFilled)) + before[3]


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    intent=intents(),
    status=st.sampled_from([CompetitionStatus.IDLE, CompetitionStatus.PAUSED, CompetitionStatus.STOPPED]),
    agent=st.sampled_from(["c-0", "c-1", "", "nobody"]),
)
def test_orders_outside_a_running_competition_are_refused_up_front(intent, status, agent):
    competition = Competition("c", sim_config(agents=(AgentSpec.bot("bot", "bot-1"),)), symbols=SYMBOLS)
    if status is not CompetitionStatus.IDLE:
        competition.transition(CompetitionStatus.RUNNING, T0)
        competition.transition(status, T0)
    try:
        competition.submit_external(agent, intent)
    except ArenaError as refusal:
        assert refusal.code in SUBMIT_CODES, f"{intent}: refused with {refusal.code}"
        expected = (
            ErrorCode.NOT_FOUND
            if agent != "c-0"
            else (ErrorCode.PAUSED if status is CompetitionStatus.PAUSED else ErrorCode.NOT_RUNNING)
        )
        assert refusal.code is expected
    else:
        raise AssertionError(f"{status.value}: an order for {agent!r} was queued")
    assert all(not e.inbox for e in competition.entrants.values())

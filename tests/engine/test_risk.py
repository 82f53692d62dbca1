"""Pre-trade risk checks: amounts, symbols, affordability; a refused order changes nothing."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest

from arena.domain.account import Account, Position
from arena.domain.orders import OrderIntent, Side
from arena.engine import risk
from arena.engine.matching import Costs, execute
from arena.errors import ArenaError, ErrorCode

D = Decimal
SYMBOLS = frozenset({"BTC-USD", "ETH-USD"})
FREE = Costs(fee_rate=D(0), slippage_rate=D(0))


def refusal(call, *args) -> ArenaError:
    with pytest.raises(ArenaError) as err:
        call(*args)
    return err.value


# --- check_amount ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "notional"),
    [(None, None), (D(1), D(100))],
    ids=["neither", "both"],
)
def test_exactly_one_of_quantity_or_notional(quantity, notional):
    error = refusal(risk.check_amount, OrderIntent("BTC-USD", Side.BUY, quantity=quantity, notional=notional))
    assert error.code is ErrorCode.INVALID_QUANTITY
    assert error.field == "quantity"
    assert "exactly one" in error.message


BAD_AMOUNTS = [
    D("NaN"),
    D("-NaN"),
    D("sNaN"),
    D("Infinity"),
    D("-Infinity"),
    float("nan"),
    float("inf"),
    float("-inf"),
    D(0),
    D("-0"),
    D("0E-30"),
    D(-1),
    D("-0.00000001"),
    risk.MAX_ABS + D("0.00000001"),
    D("1E+16"),
    D("1E+400"),
]


@pytest.mark.parametrize("amount", BAD_AMOUNTS, ids=repr)
@pytest.mark.parametrize("by", ["quantity", "notional"])
def test_bad_amounts_are_refused_with_invalid_quantity(amount, by):
    intent = OrderIntent("BTC-USD", Side.BUY, **{by: amount})
    error = refusal(risk.check_amount, intent)
    assert error.code is ErrorCode.INVALID_QUANTITY
    assert error.field == "quantity"


@pytest.mark.parametrize("amount", [D("0.00000001"), D(1), risk.MAX_ABS, D("1E+15")], ids=str)
@pytest.mark.parametrize("by", ["quantity", "notional"])
def test_positive_amounts_up_to_max_abs_pass(amount, by):
    # MAX_ABS is 1e15 and the bound is inclusive (refused only when amount > MAX_ABS)
    assert risk.check_amount(OrderIntent("BTC-USD", Side.SELL, **{by: amount})) is None


def test_max_abs_is_one_quadrillion():
    assert D(10) ** 15 == risk.MAX_ABS


# --- check_symbol ------------------------------------------------------------------------------


def test_known_symbol_with_a_price_returns_the_price():
    assert risk.check_symbol("BTC-USD", {"BTC-USD": D("65000.5")}, SYMBOLS) == D("65000.5")


def test_symbol_not_traded_is_unknown_even_when_priced():
    error = refusal(risk.check_symbol, "DOGE-USD", {"DOGE-USD": D("0.1")}, SYMBOLS)
    assert error.code is ErrorCode.UNKNOWN_SYMBOL
    assert error.field == "symbol"


def test_traded_symbol_without_a_price_yet_is_no_price():
    error = refusal(risk.check_symbol, "ETH-USD", {"BTC-USD": D(1)}, SYMBOLS)
    assert error.code is ErrorCode.NO_PRICE
    assert error.field == "symbol"


@pytest.mark.parametrize("symbol", ["btc-usd", " BTC-USD", "BTC-USD ", ""])
def test_symbols_match_exactly(symbol):
    assert refusal(risk.check_symbol, symbol, {"BTC-USD": D(1)}, SYMBOLS).code is ErrorCode.UNKNOWN_SYMBOL


# --- check_affordable --------------------------------------------------------------------------


def holding(cash: str, **quantities: str) -> Account:
    account = Account.open(D(10_000))
    account.cash = D(cash)
    for symbol, quantity in quantities.items():
        name = symbol.replace("_", "-")
        account.positions[name] = Position(name, D(quantity), D(quantity) * 100)
    return account


def test_buy_costing_exactly_the_cash_is_affordable():
    assert risk.check_affordable(holding("1000.5"), Side.BUY, "BTC-USD", D(1), D("1000.5")) is None


def test_buy_costing_one_minor_unit_more_than_the_cash_is_refused():
    error = refusal(risk.check_affordable, holding("1000.5"), Side.BUY, "BTC-USD", D(1), D("1000.50000001"))
    assert error.code is ErrorCode.INSUFFICIENT_CASH
    assert error.field == "quantity"


def test_selling_exactly_what_is_held_is_allowed():
    # the cost argument is irrelevant for a sell, even above the cash
    assert risk.check_affordable(holding("0", BTC_USD="2.5"), Side.SELL, "BTC-USD", D("2.5"), D(10**9)) is None


def test_selling_more_than_held_is_refused():
    account = holding("0", BTC_USD="2.5")
    error = refusal(risk.check_affordable, account, Side.SELL, "BTC-USD", D("2.50000001"), D(0))
    assert error.code is ErrorCode.INSUFFICIENT_POSITION
    assert error.field == "quantity"


def test_selling_a_symbol_not_held_is_refused():
    error = refusal(risk.check_affordable, holding("5000", BTC_USD="1"), Side.SELL, "ETH-USD", D("0.1"), D(0))
    assert error.code is ErrorCode.INSUFFICIENT_POSITION


# --- through matching.execute ------------------------------------------------------------------


def test_execute_fills_a_buy_that_spends_exactly_the_cash():
    # no fee, no slippage: 10 x 100 = 1000 = all the cash
    account = holding("1000")
    done = execute(account, OrderIntent("BTC-USD", Side.BUY, quantity=D(10)), {"BTC-USD": D(100)}, SYMBOLS, FREE)
    assert (done.quantity, done.price, done.fee) == (D(10), D(100), D(0))
    assert account.cash == D(0)
    assert account.quantity("BTC-USD") == D(10)


def test_execute_fills_a_sell_of_exactly_the_position():
    # 2.5 held at a cost basis of 250 (2.5 x 100); sold at 120: proceeds 300, pnl 300 - 250 = 50
    account = holding("0", BTC_USD="2.5")
    done = execute(account, OrderIntent("BTC-USD", Side.SELL, quantity=D("2.5")), {"BTC-USD": D(120)}, SYMBOLS, FREE)
    assert done.realized_pnl == D(50)
    assert account.cash == D(300)
    assert "BTC-USD" not in account.positions


REFUSED = [
    (OrderIntent("BTC-USD", Side.BUY, quantity=D("10.00000001")), ErrorCode.INSUFFICIENT_CASH),  # 1000.000001 > 1000
    (OrderIntent("BTC-USD", Side.BUY, notional=D("1000.01")), ErrorCode.INSUFFICIENT_CASH),  # see the fee below
    (OrderIntent("ETH-USD", Side.SELL, quantity=D("2.00000001")), ErrorCode.INSUFFICIENT_POSITION),
    (OrderIntent("SOL-USD", Side.BUY, quantity=D(1)), ErrorCode.UNKNOWN_SYMBOL),
    (OrderIntent("BTC-USD", Side.SELL, quantity=D("NaN")), ErrorCode.INVALID_QUANTITY),
    (OrderIntent("BTC-USD", Side.BUY, quantity=D(1), notional=D(1)), ErrorCode.INVALID_QUANTITY),
    (OrderIntent("BTC-USD", Side.BUY, quantity=D("0.000000001")), ErrorCode.INVALID_QUANTITY),  # rounds to 0
]


@pytest.mark.parametrize(("intent", "code"), REFUSED, ids=lambda v: getattr(v, "value", None) or "")
def test_a_refused_order_leaves_the_account_exactly_unchanged(intent, code):
    account = Account.open(D(10_000))
    account.cash = D(1000)
    account.positions["ETH-USD"] = Position("ETH-USD", D(2), D("6800.12345678"))
    account.realized_pnl = D("-12.5")
    account.fees_paid = D("3.25")
    account.trade_count = 4
    before = copy.deepcopy(account)
    prices = {"BTC-USD": D(100), "ETH-USD": D(3400)}
    # the notional buy pays a 10 bps fee: quantity = floor8(1000.01 / (100 x 1.001)) = 9.99010989,
    # gross 999.010989, fee ceil8(0.999010989) = 0.99901099, cost 1000.00999999 > 1000 of cash
    costs = Costs(fee_rate=D("0.001"), slippage_rate=D(0)) if intent.notional is not None else FREE
    with pytest.raises(ArenaError) as err:
        execute(account, intent, prices, frozenset({"BTC-USD", "ETH-USD"}), costs)
    assert err.value.code is code
    assert account == before
    assert account.positions["ETH-USD"] == Position("ETH-USD", D(2), D("6800.12345678"))

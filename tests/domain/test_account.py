"""Invariants of exact average-cost accounting, over random order sequences."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from arena.domain.account import Account
from arena.domain.orders import OrderIntent, Side
from arena.domain.values import ZERO
from arena.engine.matching import Costs, execute
from arena.errors import ArenaError

SYMBOLS = frozenset({"BTC-USD", "ETH-USD"})

prices_st = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
amount_st = st.decimals(min_value=Decimal("-5"), max_value=Decimal("50000"), places=4, allow_nan=False)
order_st = st.tuples(
    st.sampled_from(sorted(SYMBOLS)),
    st.sampled_from([Side.BUY, Side.SELL]),
    amount_st,
    st.booleans(),  # by notional?
    prices_st,
)


def test_buy_then_sell_round_trip_realizes_costs():
    account = Account.open(Decimal(1000))
    costs = Costs(Decimal("0.001"), Decimal(0))
    prices = {"BTC-USD": Decimal(100)}
    execute(account, OrderIntent("BTC-USD", Side.BUY, quantity=Decimal(2)), prices, SYMBOLS, costs)
    assert account.cash == Decimal(1000) - Decimal(200) - Decimal("0.2")
    assert account.positions["BTC-USD"].average_price == Decimal("100.1")
    prices["BTC-USD"] = Decimal(110)
    sell = execute(account, OrderIntent("BTC-USD", Side.SELL, quantity=Decimal(2)), prices, SYMBOLS, costs)
    # proceeds 220 - fee 0.22 - cost basis 200.2
    assert sell.realized_pnl == Decimal("19.58")
    assert account.cash == Decimal("1019.58")
    assert "BTC-USD" not in account.positions


def test_partial_sell_releases_proportional_basis():
    account = Account.open(Decimal(1000))
    costs = Costs(Decimal(0), Decimal(0))
    prices = {"BTC-USD": Decimal(10)}
    execute(account, OrderIntent("BTC-USD", Side.BUY, quantity=Decimal(3)), prices, SYMBOLS, costs)
    prices["BTC-USD"] = Decimal(20)
    execute(account, OrderIntent("BTC-USD", Side.BUY, quantity=Decimal(1)), prices, SYMBOLS, costs)
    assert account.positions["BTC-USD"].average_price == Decimal("12.5")
    done = execute(account, OrderIntent("BTC-USD", Side.SELL, quantity=Decimal(2)), prices, SYMBOLS, costs)
    assert done.realized_pnl == Decimal(15)
    assert account.positions["BTC-USD"].cost_basis == Decimal(25)


@settings(max_examples=300, deadline=None)
@given(
    orders=st.lists(order_st, min_size=1, max_size=40),
    fee_bps=st.integers(min_value=0, max_value=100),
    slip_bps=st.integers(min_value=0, max_value=100),
)
def test_invariants_hold_over_random_order_sequences(orders, fee_bps, slip_bps):
    start = Decimal(10_000)
    account = Account.open(start)
    costs = Costs(Decimal(fee_bps) / 10_000, Decimal(slip_bps) / 10_000)
    prices: dict[str, Decimal] = {}
    per_trade_pnl = ZERO
    fees = ZERO
    for symbol, side, amount, by_notional, price in orders:
        prices[symbol] = price
        intent = (
            OrderIntent(symbol, side, notional=amount) if by_notional else OrderIntent(symbol, side, quantity=amount)
        )
        before = (
            account.cash,
            {s: (p.quantity, p.cost_basis) for s, p in account.positions.items()},
            account.realized_pnl,
        )
        try:
            done = execute(account, intent, prices, SYMBOLS, costs)
        except ArenaError:
            after = (
                account.cash,
                {s: (p.quantity, p.cost_basis) for s, p in account.positions.items()},
                account.realized_pnl,
            )
            assert after == before, "a rejected order must leave the account unchanged"
            continue
        per_trade_pnl += done.realized_pnl
        fees += done.fee
        if fee_bps > 0:
            assert done.fee > 0, "a positive fee rate always deducts a fee"
        assert account.cash >= 0, "cash never negative"
        for position in account.positions.values():
            assert position.quantity > 0
    marked = sum((p.quantity * prices[p.symbol] for p in account.positions.values()), ZERO)
    assert account.equity(prices) == (account.cash + marked).quantize(Decimal("1e-8"))
    assert account.realized_pnl == per_trade_pnl
    assert account.fees_paid == fees
    # nothing created or lost: cash + cost basis = starting cash + realized PnL, exactly
    basis = sum((p.cost_basis for p in account.positions.values()), ZERO)
    assert account.cash + basis == start + account.realized_pnl

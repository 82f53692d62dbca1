"""Pre-trade risk checks: an order is refused with a code and changes nothing."""

from __future__ import annotations

from decimal import Decimal

from arena.domain.account import Account
from arena.domain.orders import OrderIntent, Side
from arena.domain.values import ZERO, InvalidNumber, to_decimal
from arena.errors import ArenaError, ErrorCode

MAX_ABS = Decimal("1e15")


def check_amount(intent: OrderIntent) -> None:
    """Exactly one of quantity/notional, finite and positive."""
    given = [v for v in (intent.quantity, intent.notional) if v is not None]
    if len(given) != 1:
        raise ArenaError(ErrorCode.INVALID_QUANTITY, "give exactly one of quantity or notional", "quantity")
    try:
        amount = to_decimal(given[0])
    except InvalidNumber as exc:
        raise ArenaError(ErrorCode.INVALID_QUANTITY, str(exc), "quantity") from None
    if amount <= ZERO:
        raise ArenaError(ErrorCode.INVALID_QUANTITY, "quantity and notional must be positive", "quantity")
    if amount > MAX_ABS:
        raise ArenaError(ErrorCode.INVALID_QUANTITY, "quantity or notional is too large", "quantity")


def check_symbol(symbol: str, prices: dict[str, Decimal], symbols: frozenset[str]) -> Decimal:
    if symbol not in symbols:
        raise ArenaError(ErrorCode.UNKNOWN_SYMBOL, f"unknown symbol {symbol!r}", "symbol")
    price = prices.get(symbol)
    if price is None:
        raise ArenaError(ErrorCode.NO_PRICE, f"no price yet for {symbol!r}", "symbol")
    return price


def check_affordable(account: Account, side: Side, symbol: str, quantity: Decimal, cost: Decimal) -> None:
    """`cost` is the cash a buy needs (gross + fee)."""
    if side is Side.BUY:
        if cost > account.cash:
            raise ArenaError(ErrorCode.INSUFFICIENT_CASH, f"needs {cost} but cash is {account.cash}", "quantity")
    elif quantity > account.quantity(symbol):
        raise ArenaError(
            ErrorCode.INSUFFICIENT_POSITION,
            f"cannot sell {quantity} {symbol}: holds {account.quantity(symbol)}",
            "quantity",
        )

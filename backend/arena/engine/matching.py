"""Market-order execution: slippage, fees, and notional-to-quantity sizing."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from arena.domain.account import Account
from arena.domain.orders import OrderIntent, Side
from arena.domain.values import ONE, ZERO, quantize, quantize_down, quantize_up
from arena.engine import risk
from arena.errors import ArenaError, ErrorCode


@dataclass(frozen=True, slots=True)
class Execution:
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    realized_pnl: Decimal


@dataclass(frozen=True, slots=True)
class Costs:
    fee_rate: Decimal  # fraction, e.g. 0.001 for 10 bps
    slippage_rate: Decimal

    def fill_price(self, side: Side, mid: Decimal) -> Decimal:
        if side is Side.BUY:
            return quantize_up(mid * (ONE + self.slippage_rate))
        return quantize_down(mid * (ONE - self.slippage_rate))

    def fee(self, gross: Decimal) -> Decimal:
        # rounded up so that any positive fee rate always deducts something
        return quantize_up(gross * self.fee_rate)


def execute(
    account: Account,
    intent: OrderIntent,
    prices: dict[str, Decimal],
    symbols: frozenset[str],
    costs: Costs,
) -> Execution:
    """Check and apply one market order; raises ArenaError and leaves the account unchanged."""
    risk.check_amount(intent)
    mid = risk.check_symbol(intent.symbol, prices, symbols)
    price = costs.fill_price(intent.side, mid)
    if price <= ZERO:
        raise ArenaError(ErrorCode.NO_PRICE, f"no executable price for {intent.symbol!r}", "symbol")
    if intent.quantity is not None:
        raw = Decimal(intent.quantity)
    elif intent.side is Side.BUY:
        # spend at most `notional` including the fee
        raw = Decimal(intent.notional) / (price * (ONE + costs.fee_rate))  # type: ignore[arg-type]
    else:
        raw = Decimal(intent.notional) / price  # type: ignore[arg-type]
    if raw > risk.MAX_ABS or raw * price > risk.MAX_ABS:
        # also keeps every amount within Decimal's 28 significant digits at 1e-8 resolution
        raise ArenaError(ErrorCode.INVALID_QUANTITY, "order is too large", "quantity")
    quantity = quantize(raw) if intent.quantity is not None else quantize_down(raw)
    if quantity <= ZERO:
        raise ArenaError(ErrorCode.INVALID_QUANTITY, "order is smaller than the minimum quantity 1e-8", "quantity")
    gross = quantize(quantity * price)
    fee = costs.fee(gross)
    risk.check_affordable(account, intent.side, intent.symbol, quantity, gross + fee)
    if intent.side is Side.BUY:
        pnl = account.buy(intent.symbol, quantity, price, fee)
    else:
        pnl = account.sell(intent.symbol, quantity, price, fee)
    return Execution(intent.side, quantity, price, fee, pnl)

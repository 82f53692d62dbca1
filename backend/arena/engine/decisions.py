"""A model's decision in the engine's terms: the account it is shown, and the orders its answer makes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from arena.agents.base import AccountView
from arena.agents.sizing import OrderPlan, share
from arena.domain.account import Account, mark_positions
from arena.domain.decisions import Action, SymbolAction
from arena.domain.orders import OrderIntent
from arena.domain.values import ZERO, quantize_down, to_decimal


def account_facts(account: Account, prices: Mapping[str, Decimal]) -> dict[str, Any]:
    """Cash, positions (average entry, unrealized PnL), equity and return %, as the prompt shows them."""
    equity = account.equity(prices)
    start = account.starting_cash
    return {
        "cash": str(account.cash),
        "equity": str(equity),
        "starting_cash": str(start),
        "return_pct": round(float((equity - start) / start * 100), 4) if start else 0.0,
        "positions": [
            {
                "symbol": p.symbol,
                "quantity": str(p.quantity),
                "average_entry": str(p.average_price),
                "market_value": None if p.market_value is None else str(p.market_value),
                "unrealized_pnl": None if p.unrealized_pnl is None else str(p.unrealized_pnl),
            }
            for p in sorted(mark_positions(account, prices), key=lambda p: p.symbol)
        ],
    }


def orders_for(actions: Sequence[SymbolAction], view: AccountView, max_position_fraction: float) -> list[OrderIntent]:
    """BUY: `fraction` of equity, topped at `max_position_fraction` of equity held in the symbol;
    SELL: `fraction` of the position; HOLD: nothing. Affordability as for every agent (`OrderPlan`)."""
    plan = OrderPlan(view)
    cap = view.equity * to_decimal(max_position_fraction)
    for action in actions:
        if action.action is Action.SELL:
            held = view.quantity(action.symbol)
            if held > ZERO:
                plan.sell(action.symbol, held * to_decimal(action.fraction))
        elif action.action is Action.BUY:
            price = view.prices.get(action.symbol)
            if price is None:
                continue
            room = cap - view.quantity(action.symbol) * price
            plan.buy(action.symbol, min(share(view.equity, action.fraction), quantize_down(max(room, ZERO))))
    return plan.orders()

"""Orders, fills and rejections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from arena.errors import ErrorCode


class Side(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """A market order an agent wants: by quantity, or by notional (cash amount)."""

    symbol: str
    side: Side
    quantity: Decimal | None = None
    notional: Decimal | None = None
    client_order_id: str | None = None


@dataclass(frozen=True, slots=True)
class Fill:
    """An executed order. `intent` is the order as it was asked for (a notional buy fills a quantity)."""

    agent_id: str
    agent_name: str
    intent: OrderIntent
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    realized_pnl: Decimal
    round: int
    executed_at: datetime
    seq: int

    @property
    def symbol(self) -> str:
        return self.intent.symbol

    @property
    def client_order_id(self) -> str | None:
        return self.intent.client_order_id

    @property
    def gross(self) -> Decimal:
        return self.quantity * self.price

    @property
    def replayable_intent(self) -> OrderIntent:
        """The order to send again to get this fill: as asked, or (for fills recorded before the
        order was kept, with neither amount) by the quantity it filled."""
        if self.intent.quantity is not None or self.intent.notional is not None:
            return self.intent
        return OrderIntent(self.symbol, self.side, quantity=self.quantity, client_order_id=self.client_order_id)


@dataclass(frozen=True, slots=True)
class Rejection:
    """An order refused by the risk checks or the state machine; the account did not change."""

    agent_id: str
    agent_name: str
    intent: OrderIntent
    code: ErrorCode
    reason: str
    round: int
    at: datetime
    field: str | None = None  # the order field the refusal is about, when there is one

"""Orders, fills and rejections."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from arena.errors import ErrorCode


class Side(str, Enum):
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
    agent_id: str
    symbol: str
    side: Side
    quantity: Decimal
    price: Decimal
    fee: Decimal
    realized_pnl: Decimal
    round: int
    executed_at: datetime
    seq: int
    client_order_id: str | None = None

    @property
    def gross(self) -> Decimal:
        return self.quantity * self.price


@dataclass(frozen=True, slots=True)
class Rejection:
    agent_id: str
    intent: OrderIntent
    code: ErrorCode
    reason: str
    round: int
    at: datetime

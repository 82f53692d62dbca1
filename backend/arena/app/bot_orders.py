"""Bot orders from the API, from submission until their outcome is recorded, and their idempotency.

A client order id names one filled order of one agent for the life of the record: repeating the
same order under it returns the first fill (waiting for it while it is still queued), and a
different order under a used id is refused with DUPLICATE_CLIENT_ORDER_ID. A rejected order uses
up nothing (the account did not change), so it may be sent again under the same id.

Orders still waiting for their round are held here; once recorded they are found in the store,
so memory does not grow with the number of orders and the ids survive a restart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from arena.domain.orders import Fill, OrderIntent, Rejection
from arena.engine.competition import Competition
from arena.errors import ArenaError, ErrorCode

Outcome = Fill | Rejection
RecordedFill = Callable[[str, str], Awaitable[Fill | None]]  # (agent id, client order id) -> the stored fill


class _Waiting:
    """A queued order's ticket: the engine hands it back with the outcome, the outbox settles it once stored."""

    __slots__ = ("_orders", "future", "intent", "key")

    def __init__(self, orders: BotOrders, key: tuple[str, str] | None, intent: OrderIntent) -> None:
        self._orders = orders
        self.key = key
        self.intent = intent
        self.future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

    def settle(self, outcome: Outcome) -> None:
        self._orders.release(self)
        if not self.future.done():
            self.future.set_result(outcome)


class BotOrders:
    def __init__(self, recorded_fill: RecordedFill | None = None) -> None:
        self._recorded_fill = recorded_fill
        self._waiting: dict[tuple[str, str], _Waiting] = {}

    @property
    def waiting(self) -> int:
        """Orders of known client ids still waiting for their round (what this book holds in memory)."""
        return len(self._waiting)

    async def submit(self, competition: Competition, agent_id: str, intent: OrderIntent) -> asyncio.Future[Outcome]:
        """Queue `intent` for the next round; the future resolves with its Fill or Rejection once recorded."""
        key = (agent_id, intent.client_order_id) if intent.client_order_id is not None else None
        if key is not None:
            waiting = self._waiting_for(key, intent)
            if waiting is not None:
                return waiting
            if self._recorded_fill is not None:
                fill = await self._recorded_fill(*key)
                if fill is not None:
                    _refuse_if_different(fill.intent, intent)
                    done: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
                    done.set_result(fill)
                    return done
                waiting = self._waiting_for(key, intent)  # the same order may have been queued meanwhile
                if waiting is not None:
                    return waiting
        ticket = _Waiting(self, key, intent)
        competition.submit_external(agent_id, intent, ticket)
        if key is not None:
            self._waiting[key] = ticket
        return ticket.future

    def _waiting_for(self, key: tuple[str, str], intent: OrderIntent) -> asyncio.Future[Outcome] | None:
        ticket = self._waiting.get(key)
        if ticket is None:
            return None
        _refuse_if_different(ticket.intent, intent)
        return ticket.future

    def release(self, ticket: _Waiting) -> None:
        """Forget a settled order: from now on the store answers for it."""
        if ticket.key is not None and self._waiting.get(ticket.key) is ticket:
            del self._waiting[ticket.key]


def _refuse_if_different(first: OrderIntent, again: OrderIntent) -> None:
    if first.quantity is None and first.notional is None:  # recorded before orders were kept: what is known
        same = (first.symbol, first.side) == (again.symbol, again.side)
    else:
        same = first == again
    if not same:
        raise ArenaError(
            ErrorCode.DUPLICATE_CLIENT_ORDER_ID,
            f"client order id {again.client_order_id!r} was used for a different order",
            "clientOrderId",
        )

#!/usr/bin/env python3
"""A small Trading Arena bot: the starting point for bot authors.

It connects over graphql-transport-ws with its bot token, subscribes to prices
and to its own fills, and trades one symbol on a simple rule: buy when the price
falls below its short moving average, sell everything when it rises above it.

    ARENA_BOT_TOKEN=bot_... python examples/bot.py --url ws://127.0.0.1:8000/graphql --symbol BTC-USD

Needs `gql[websockets]` (installed with the project's dev extras).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections import deque
from decimal import Decimal

from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

PRICES = "subscription($symbols: [String!]) { prices(symbols: $symbols) { symbol price } }"
MY_FILLS = "subscription { myFills { side symbol quantity price fee realizedPnl round } }"
PLACE_ORDER = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { trade { side quantity price } userErrors { code message } }
}"""


class MovingAverageRule:
    """Buy below the moving average when flat; sell all above it when holding."""

    def __init__(self, window: int, notional: Decimal) -> None:
        self.prices: deque[Decimal] = deque(maxlen=window)
        self.notional = notional
        self.holding = Decimal(0)

    def decide(self, price: Decimal) -> dict | None:
        self.prices.append(price)
        if len(self.prices) < self.prices.maxlen:
            return None
        average = sum(self.prices) / len(self.prices)
        if not self.holding and price < average:
            return {"side": "BUY", "notional": str(self.notional)}
        if self.holding and price > average:
            return {"side": "SELL", "quantity": str(self.holding)}
        return None


async def print_fills(session) -> None:
    async for result in session.subscribe(GraphQLRequest(MY_FILLS)):
        fill = result["myFills"]
        print(
            f"fill: {fill['side']} {fill['quantity']} {fill['symbol']} @ {fill['price']} "
            f"(fee {fill['fee']}, pnl {fill['realizedPnl']}, round {fill['round']})",
            flush=True,
        )


async def trade(session, symbol: str, rule: MovingAverageRule, max_orders: int) -> None:
    orders = 0
    async for result in session.subscribe(GraphQLRequest(PRICES, variable_values={"symbols": [symbol]})):
        order = rule.decide(Decimal(result["prices"]["price"]))
        if order is None:
            continue
        payload = (
            await session.execute(GraphQLRequest(PLACE_ORDER, variable_values={"input": {"symbol": symbol, **order}}))
        )["placeOrder"]
        orders += 1
        if payload["userErrors"]:
            print(
                f"order refused: {payload['userErrors'][0]['code']}: {payload['userErrors'][0]['message']}", flush=True
            )
        else:
            filled = payload["trade"]
            qty = Decimal(filled["quantity"])
            rule.holding += qty if filled["side"] == "BUY" else -qty
        if orders >= max_orders:
            return


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="ws://127.0.0.1:8000/graphql")
    parser.add_argument("--token", default=os.environ.get("ARENA_BOT_TOKEN"), help="default: $ARENA_BOT_TOKEN")
    parser.add_argument("--symbol", default="BTC-USD")
    parser.add_argument("--window", type=int, default=5, help="moving-average window in ticks")
    parser.add_argument("--notional", default="1000", help="cash per buy")
    parser.add_argument("--max-orders", type=int, default=20, help="stop after this many orders")
    args = parser.parse_args()
    if not args.token:
        parser.error("a bot token is required (--token or ARENA_BOT_TOKEN); the operator gets one from registerBot")
    transport = WebsocketsTransport(
        url=args.url,
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],
        init_payload={"authToken": args.token},
        ping_interval=10,
    )
    async with Client(transport=transport, fetch_schema_from_transport=False) as session:
        fills = asyncio.create_task(print_fills(session))
        try:
            await trade(session, args.symbol, MovingAverageRule(args.window, Decimal(args.notional)), args.max_orders)
            await asyncio.sleep(0.2)  # let the last fill's message arrive
        finally:
            fills.cancel()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

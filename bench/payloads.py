"""The GraphQL documents the benchmarks send, and the raw baselines' hand-built equivalents.

Each raw builder returns exactly what GraphQL returns as `data` for the matching
document (same keys, same value encodings: Decimal as its string, DateTime as
isoformat, enums by name), so the baselines serve the same bytes of data without
GraphQL. The query benchmark checks that equality before it measures.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

PRICES_SUBSCRIPTION = "subscription { prices { symbol price timestamp } }"

# The mixed fan-out: 20 selections over the four public streams, one per client in turn.
MIXED_SUBSCRIPTIONS = (
    PRICES_SUBSCRIPTION,
    "subscription { prices { symbol price changePct timestamp } }",
    'subscription { prices(symbols: ["BTC-USD"]) { price timestamp } }',
    "subscription { p: prices { s: symbol price timestamp feedId } }",
    "subscription { prices { ...Q } } fragment Q on PriceTick { symbol price volume timestamp }",
    "subscription { trades { id agentName symbol side price quantity } }",
    "subscription { trades { id side price agent { name strategy } } }",
    'subscription { trades(symbol: "BTC-USD") { id price round } }',
    "subscription { trades { id realizedPnl fee round } }",
    "subscription { trades { ...T } } fragment T on Trade { id symbol side executedAt }",
    "subscription { leaderboard { rank equity } }",
    "subscription { leaderboard { rank equity returnPct agent { name } } }",
    "subscription { leaderboard { agent { id name strategy tradeCount } } }",
    "subscription { board: leaderboard { rank returnPct } }",
    "subscription { leaderboard { __typename rank equity agent { status } } }",
    "subscription { arenaEvents { kind round } }",
    "subscription { arenaEvents { kind round status message } }",
    "subscription { arenaEvents { kind at } }",
    "subscription { e: arenaEvents { kind round competitionId } }",
    "subscription { arenaEvents { __typename kind code agentId } }",
)

LEADERBOARD_QUERY = (
    "query Leaderboard { leaderboard { rank equity returnPct agent { id name strategy status cash "
    "realizedPnl unrealizedPnl tradeCount winRate scars maxDrawdown sharpe profitFactor } } }"
)

TRADES_QUERY = (
    "query Trades { trades(first: 50) { totalCount pageInfo { hasNextPage endCursor } "
    "edges { cursor node { id agentName symbol side quantity price notional fee realizedPnl round executedAt } } } }"
)

NESTED_QUERY = (
    "query Nested { competitions(first: 10, status: FINISHED) { edges { node { id name "
    "leaderboard { rank equity agent { name strategy trades(first: 3) { edges { node { side price round } } } } } "
    "} } } }"
)

_SEPARATORS = (",", ":")


def dumps(value: Any) -> str:
    """JSON exactly as Strawberry encodes it (json.dumps with compact separators)."""
    return json.dumps(value, separators=_SEPARATORS)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _name(value: Any) -> Any:
    return getattr(value, "name", value)


def price_payload(quote: Any) -> str:
    """The `payload` of a graphql-transport-ws `next` message for PRICES_SUBSCRIPTION."""
    return dumps(
        {
            "data": {
                "prices": {"symbol": quote.symbol, "price": str(quote.price), "timestamp": quote.timestamp.isoformat()}
            }
        }
    )


def next_frame(operation_id: str, payload_json: str) -> str:
    """A `next` message around an already-encoded payload: the same text json.dumps would give."""
    return '{"id":' + dumps(operation_id) + ',"type":"next","payload":' + payload_json + "}"


def leaderboard_data(entries: list[Any]) -> dict[str, Any]:
    out = []
    for e in entries:
        a = e.agent
        out.append(
            {
                "rank": e.rank,
                "equity": _dec(e.equity),
                "returnPct": e.return_pct,
                "agent": {
                    "id": str(a.id),
                    "name": a.name,
                    "strategy": a.strategy,
                    "status": _name(a.status),
                    "cash": _dec(a.cash),
                    "realizedPnl": _dec(a.realized_pnl),
                    "unrealizedPnl": _dec(a.unrealized_pnl),
                    "tradeCount": a.trade_count,
                    "winRate": a.win_rate,
                    "scars": a.scars,
                    "maxDrawdown": a.max_drawdown,
                    "sharpe": a.sharpe,
                    "profitFactor": a.profit_factor,
                },
            }
        )
    return {"leaderboard": out}


def trades_data(trades: list[Any], cursors: list[str], total: int, has_next: bool) -> dict[str, Any]:
    edges = [
        {
            "cursor": cursor,
            "node": {
                "id": str(t.id),
                "agentName": t.agent_name,
                "symbol": t.symbol,
                "side": _name(t.side),
                "quantity": _dec(t.quantity),
                "price": _dec(t.price),
                "notional": _dec(t.notional),
                "fee": _dec(t.fee),
                "realizedPnl": _dec(t.realized_pnl),
                "round": t.round,
                "executedAt": t.executed_at.isoformat(),
            },
        }
        for t, cursor in zip(trades, cursors, strict=True)
    ]
    return {
        "trades": {
            "totalCount": total,
            "pageInfo": {"hasNextPage": has_next, "endCursor": cursors[-1] if cursors else None},
            "edges": edges,
        }
    }

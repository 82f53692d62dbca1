"""The queries' second baseline: the same rows read with plain `sqlite3` and shaped into exactly
GraphQL's `data` — no ORM, no GraphQL. The nested query (finished competitions, newest first;
each one's latest standings by rank; each agent's last three trades), trades(first: 50) and the
leaderboard. Ids and cursors are made with the API's own two small encoders, so they compare."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from arena.api.ids import encode_cursor
from arena.api.types.trades import trade_global_id

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

COMPETITIONS = "SELECT id, name FROM competition WHERE status = 'FINISHED' ORDER BY created_at DESC, id DESC LIMIT ?"
STANDINGS = """
SELECT e.competition_id, e.rank, e.equity, n.name, n.strategy, e.agent_id
FROM equity e
JOIN (SELECT agent_id, MAX(round) AS round FROM equity WHERE competition_id IN ({ids}) GROUP BY agent_id) last
  ON e.agent_id = last.agent_id AND e.round = last.round
JOIN entrant n ON n.id = e.agent_id
ORDER BY e.round DESC, e.rank, e.agent_id
"""
LAST_TRADES = """
SELECT agent_id, side, price, round FROM (
  SELECT agent_id, side, price, round, id,
         ROW_NUMBER() OVER (PARTITION BY agent_id ORDER BY id DESC) AS newest
  FROM fill WHERE agent_id IN ({ids})
) WHERE newest <= ? ORDER BY agent_id, id DESC
"""


def nested_data(connection: sqlite3.Connection, competitions: int = 10, trades: int = 3) -> dict[str, Any]:
    found = connection.execute(COMPETITIONS, (competitions,)).fetchall()
    ids = [cid for cid, _ in found]
    marks = ",".join("?" * len(ids))
    standings: dict[str, list[tuple[Any, ...]]] = {cid: [] for cid in ids}
    agents: list[str] = []
    if ids:
        for cid, rank, equity, name, strategy, agent_id in connection.execute(STANDINGS.format(ids=marks), ids):
            standings[cid].append((rank, equity, name, strategy, agent_id))
            agents.append(agent_id)
    recent: dict[str, list[dict[str, Any]]] = {a: [] for a in agents}
    if agents:
        query = LAST_TRADES.format(ids=",".join("?" * len(agents)))
        for agent_id, side, price, round_ in connection.execute(query, (*agents, trades)):
            recent[agent_id].append({"node": {"side": side, "price": price, "round": round_}})
    return {
        "competitions": {
            "edges": [
                {
                    "node": {
                        "id": cid,
                        "name": name,
                        "leaderboard": [
                            {
                                "rank": rank,
                                "equity": equity,
                                "agent": {"name": agent, "strategy": strategy, "trades": {"edges": recent[agent_id]}},
                            }
                            for rank, equity, agent, strategy, agent_id in standings[cid]
                        ],
                    }
                }
                for cid, name in found
            ]
        }
    }


# --- trades(first: 50) and the leaderboard, read the same plain way ----------------------------

NEWEST_FILLS = """
SELECT id, competition_id, seq, agent_name, symbol, side, quantity, price, fee, realized_pnl, round, executed_at
FROM fill ORDER BY id DESC LIMIT ?
"""
LATEST_COMPETITION = "SELECT id FROM competition ORDER BY created_at DESC, id DESC LIMIT 1"
LATEST_STANDINGS = """
SELECT n.id, n.name, n.strategy, e.status, e.cash, e.realized_pnl, e.unrealized_pnl, e.trade_count, e.win_rate,
       e.scars, e.max_drawdown, e.sharpe, e.profit_factor, e.rank, e.equity, e.return_pct
FROM equity e JOIN entrant n ON n.id = e.agent_id
WHERE e.competition_id = ? AND e.round = (SELECT MAX(round) FROM equity WHERE competition_id = ?)
ORDER BY e.rank
"""


def _iso(micros: int) -> str:
    return (EPOCH + timedelta(microseconds=micros)).isoformat()


def trades_data(connection: sqlite3.Connection, first: int = 50) -> dict[str, Any]:
    """GraphQL's `data` for payloads.TRADES_QUERY: the newest `first` fills, their cursors, the count."""
    rows = connection.execute(NEWEST_FILLS, (first + 1,)).fetchall()
    total = connection.execute("SELECT COUNT(*) FROM fill").fetchone()[0]
    edges = []
    for row_id, cid, seq, agent, symbol, side, quantity, price, fee, pnl, round_, at in rows[:first]:
        edges.append(
            {
                "cursor": encode_cursor(row_id),
                "node": {
                    "id": trade_global_id(cid, seq),
                    "agentName": agent,
                    "symbol": symbol,
                    "side": side,
                    "quantity": quantity,
                    "price": price,
                    "notional": str(Decimal(quantity) * Decimal(price)),
                    "fee": fee,
                    "realizedPnl": pnl,
                    "round": round_,
                    "executedAt": _iso(at),
                },
            }
        )
    return {
        "trades": {
            "totalCount": total,
            "pageInfo": {"hasNextPage": len(rows) > first, "endCursor": edges[-1]["cursor"] if edges else None},
            "edges": edges,
        }
    }


def leaderboard_data(connection: sqlite3.Connection) -> dict[str, Any]:
    """The payloads.LEADERBOARD_QUERY fields of the newest competition's last recorded round. (GraphQL
    serves a running competition from memory, a round or so ahead of this: same shape, not always
    the same numbers.)"""
    found = connection.execute(LATEST_COMPETITION).fetchone()
    if found is None:
        return {"leaderboard": []}
    board = []
    for row in connection.execute(LATEST_STANDINGS, (found[0], found[0])):
        agent_id, name, strategy, status, cash, realized, unrealized, trades, win_rate = row[:9]
        scars, drawdown, sharpe, profit_factor, rank, equity, return_pct = row[9:]
        board.append(
            {
                "rank": rank,
                "equity": equity,
                "returnPct": return_pct,
                "agent": {
                    "id": agent_id,
                    "name": name,
                    "strategy": strategy,
                    "status": status,
                    "cash": cash,
                    "realizedPnl": realized,
                    "unrealizedPnl": unrealized,
                    "tradeCount": trades,
                    "winRate": win_rate,
                    "scars": scars,
                    "maxDrawdown": drawdown,
                    "sharpe": sharpe,
                    "profitFactor": profit_factor,
                },
            }
        )
    return {"leaderboard": board}

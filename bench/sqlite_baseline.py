"""The nested query's second baseline: the same rows read with plain `sqlite3` and shaped into
exactly GraphQL's `data` for payloads.NESTED_QUERY (finished competitions, newest first; each
one's latest standings by rank; each agent's last three trades) — no ORM, no GraphQL."""

from __future__ import annotations

import sqlite3
from typing import Any

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

"""Subscription documents that cover every groupable root field with different selections, aliases,
fragments, variables, directives and errors in resolvers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Case:
    name: str
    query: str
    variables: dict[str, Any] | None = field(default=None)


CASES = [
    Case("prices", "subscription { prices { symbol price changePct volume timestamp feedId } }"),
    Case(
        "prices, aliased, variables and directives",
        """subscription Ticks($symbols: [String!], $withTime: Boolean!) {
             tick: prices(symbols: $symbols) { sym: symbol price at: timestamp @include(if: $withTime) changePct @skip(if: $withTime) }
           }""",
        {"symbols": ["BTC-USD"], "withTime": True},
    ),
    Case(
        "trades, a fragment and references",
        """subscription { trades { ...Fill agent { name strategy } competition { name status } } }
           fragment Fill on Trade { id side symbol price quantity fee realizedPnl round agentName }""",
    ),
    Case(
        "trades, an error in a resolver",
        "subscription { trades { id agent { name trades(first: 1, last: 1) { totalCount } } } }",
    ),
    Case(
        "trades of one symbol", "subscription($s: String) { trades(symbol: $s) { id symbol side } }", {"s": "BTC-USD"}
    ),
    Case("leaderboard", "subscription { leaderboard { rank equity returnPct agent { name strategy tradeCount } } }"),
    Case(
        "leaderboard, inline fragment and typename",
        "subscription { board: leaderboard { __typename ... on LeaderboardEntry { rank agent { id } } } }",
    ),
    Case(
        "arenaEvents",
        "subscription { arenaEvents { kind round status previousStatus message competitionId winnerId } }",
    ),
    Case("arenaEvents, typename only", "subscription { arenaEvents { __typename kind } }"),
    Case(
        "decisions",
        """subscription { decisions { id agentName round askedRound status reasoning latencyMs attempts
             actions { symbol action fraction } orders { symbol side filled price } } }""",
    ),
]

"""Rebuilding an interrupted competition so that it can continue where it stopped.

A competition that owns its feed (a seeded simulation or a replay) is rebuilt by
replaying its first N rounds silently: same config, same feed, same agents, and
the bots' recorded orders re-submitted at their rounds, give the same state as
before the crash, indicators included; the replayed fills are checked against
the recorded ones. A competition on the shared market feed cannot be replayed
(its prices came from a feed that has moved on): its accounts are restored from
the recorded fills and its agents start their indicators afresh.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from arena.domain.account import Account
from arena.domain.events import CompetitionStatus, OrderFilled
from arena.domain.market import QuoteBatch
from arena.domain.orders import Fill, OrderIntent
from arena.engine.competition import Competition
from arena.engine.config import CompetitionConfig
from arena.errors import ArenaError, ErrorCode
from arena.feeds.base import Feed
from arena.feeds.factory import build_feed


@dataclass(frozen=True, slots=True)
class Restored:
    competition: Competition
    feed: Feed | None
    batches: Iterator[QuoteBatch] | None  # positioned after the last recorded round


def restore(
    competition_id: str,
    config: CompetitionConfig,
    rounds: int,
    recorded_fills: Sequence[Fill],
    *,
    accounts: Mapping[str, Account] | None = None,
    prices: Mapping[str, Decimal] | None = None,
) -> Restored:
    if config.feed is None:
        return _restore_on_shared_feed(competition_id, config, rounds, recorded_fills, accounts or {}, prices or {})
    feed = build_feed(config.feed, config.symbols)
    competition = Competition(competition_id, config, symbols=feed.info.symbols if config.feed.paths else None)
    bot_ids = {e.info.agent_id for e in competition.entrants.values() if e.agent is None}
    bot_orders: dict[int, list[Fill]] = {}
    for fill in recorded_fills:
        if fill.agent_id in bot_ids:
            bot_orders.setdefault(fill.round, []).append(fill)
    competition.status = CompetitionStatus.RUNNING  # replaying: the rounds really were played
    replayed: list[Fill] = []
    batches = feed.batches()
    for number in range(1, rounds + 1):
        batch = next(batches, None)
        if batch is None:
            raise _diverged(f"the feed ended at round {number - 1} of {rounds}")
        for fill in sorted(bot_orders.get(number, ()), key=lambda f: f.seq):
            competition.submit_external(fill.agent_id, OrderIntent(fill.symbol, fill.side, quantity=fill.quantity,
                                                                   client_order_id=fill.client_order_id))
        replayed.extend(e.fill for e in competition.play_round(batch) if isinstance(e, OrderFilled))
    competition.outcomes.clear()
    _check_same(replayed, recorded_fills)
    competition.status = CompetitionStatus.INTERRUPTED
    return Restored(competition, feed, batches)


def _restore_on_shared_feed(
    competition_id: str, config: CompetitionConfig, rounds: int, fills: Sequence[Fill],
    accounts: Mapping[str, Account], prices: Mapping[str, Decimal],
) -> Restored:
    competition = Competition(competition_id, config)
    for agent_id, entrant in competition.entrants.items():
        if agent_id in accounts:
            entrant.account = accounts[agent_id]
        for fill in fills:
            if fill.agent_id == agent_id and fill.side.value == "SELL":
                entrant.tracker.record_closed_trade(fill.realized_pnl)
    competition.round = rounds
    competition._seq = max((f.seq for f in fills), default=0)  # noqa: SLF001 - recovery owns this
    competition.prices.update(prices)
    competition.status = CompetitionStatus.INTERRUPTED
    return Restored(competition, None, None)


def _key(fill: Fill) -> tuple:
    return (fill.seq, fill.agent_id, fill.symbol, fill.side, fill.quantity, fill.price, fill.fee, fill.realized_pnl, fill.round)


def _check_same(replayed: Sequence[Fill], recorded: Sequence[Fill]) -> None:
    if len(replayed) != len(recorded):
        raise _diverged(f"replay gave {len(replayed)} fills, {len(recorded)} were recorded")
    for again, before in zip(replayed, sorted(recorded, key=lambda f: f.seq)):
        if _key(again) != _key(before):
            raise _diverged(f"fill {before.seq} differs on replay")


def _diverged(detail: str) -> ArenaError:
    return ArenaError(ErrorCode.INVALID_CONFIG, f"cannot resume deterministically: {detail}")

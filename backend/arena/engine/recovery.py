"""Rebuilding an interrupted competition so that it can continue where it stopped.

A competition that owns its feed (a seeded simulation or a replay) is rebuilt by
replaying its first N rounds silently: same config, same feed, same agents, and
the bots' recorded orders and the models' recorded decisions re-submitted at their rounds (no
model is asked again), give the same state as
before the crash, indicators included; the replayed fills are checked against
the recorded ones. A competition on the shared market feed cannot be replayed
(its prices came from a feed that has moved on): its accounts are restored from
the recorded fills and its agents start their indicators afresh.

Pure: the caller builds the feed and reads the record; this module only plays.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from arena.domain.account import Account
from arena.domain.decisions import Decision
from arena.domain.events import CompetitionStatus, OrderFilled
from arena.domain.market import QuoteBatch
from arena.domain.orders import Fill
from arena.engine.competition import Competition
from arena.engine.config import CompetitionConfig
from arena.errors import ArenaError, ErrorCode


def replay_own_feed(
    competition_id: str,
    config: CompetitionConfig,
    rounds: int,
    recorded_fills: Sequence[Fill],
    batches: Iterator[QuoteBatch],
    *,
    symbols: Sequence[str] | None,
    started_at: datetime,
    recorded_decisions: Sequence[Decision] = (),
) -> Competition:
    """Play the first `rounds` batches again; `batches` is left positioned after them.

    Raises INVALID_CONFIG when the replay does not give the recorded fills (the
    feed, the code or the record changed): continuing would not be the same run.
    """
    competition = Competition(competition_id, config, symbols=symbols)
    bot_ids = {agent_id for agent_id, e in competition.entrants.items() if e.agent is None}
    bot_orders: dict[int, list[Fill]] = {}
    for fill in recorded_fills:
        if fill.agent_id in bot_ids:
            bot_orders.setdefault(fill.round, []).append(fill)
    decisions: dict[int, list[Decision]] = {}
    for decision in recorded_decisions:
        decisions.setdefault(decision.round, []).append(decision)
    competition.transition(CompetitionStatus.RUNNING, started_at, "replaying the record")
    replayed: list[Fill] = []
    for number in range(1, rounds + 1):
        batch = next(batches, None)
        if batch is None:
            raise _diverged(f"the feed ended at round {number - 1} of {rounds}")
        for fill in sorted(bot_orders.get(number, ()), key=lambda f: f.seq):
            competition.submit_external(fill.agent_id, fill.replayable_intent)
        for decision in sorted(decisions.get(number, ()), key=lambda d: d.seq):
            competition.submit_decision(decision.answer)
        replayed.extend(e.fill for e in competition.play_round(batch) if isinstance(e, OrderFilled))
    competition.take_outcomes()
    competition.take_decision_requests()  # asked and answered before: the record has the answers
    _check_same(replayed, recorded_fills)
    competition.transition(
        CompetitionStatus.INTERRUPTED, competition.last_timestamp or started_at, "rebuilt from the record"
    )
    return competition


def restore_on_shared_feed(
    competition_id: str,
    config: CompetitionConfig,
    rounds: int,
    recorded_fills: Sequence[Fill],
    *,
    accounts: Mapping[str, Account],
    prices: Mapping[str, Decimal],
    started_at: datetime | None,
    feed_id: str,
    equity: Mapping[str, Sequence[Decimal]] | None = None,
    decisions: int = 0,
) -> Competition:
    """`feed_id` names the shared feed it continues on; `prices` are the marks to continue from;
    `equity` each agent's recorded equity, round by round; `decisions` the last decision's seq."""
    competition = Competition(competition_id, config, feed_id=feed_id)
    competition.restore_from_record(
        round_=rounds,
        fills=recorded_fills,
        accounts=accounts,
        prices=prices,
        started_at=started_at,
        equity=equity,
        decisions=decisions,
    )
    return competition


def _key(fill: Fill) -> tuple[object, ...]:
    return (
        fill.seq,
        fill.agent_id,
        fill.symbol,
        fill.side,
        fill.quantity,
        fill.price,
        fill.fee,
        fill.realized_pnl,
        fill.round,
    )


def _check_same(replayed: Sequence[Fill], recorded: Sequence[Fill]) -> None:
    if len(replayed) != len(recorded):
        raise _diverged(f"replay gave {len(replayed)} fills, {len(recorded)} were recorded")
    for again, before in zip(replayed, sorted(recorded, key=lambda f: f.seq), strict=True):
        if _key(again) != _key(before):
            raise _diverged(f"fill {before.seq} differs on replay")


def _diverged(detail: str) -> ArenaError:
    return ArenaError(ErrorCode.INVALID_CONFIG, f"cannot resume deterministically: {detail}")

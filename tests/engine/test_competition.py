"""The pure competition: state machine, rounds, resting, rejections, determinism."""

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arena.agents.base import Agent
from arena.agents.spec import AgentSpec
from arena.domain.events import AgentStatus, CompetitionStatus, OrderFilled, OrderRejected, RoundCompleted
from arena.domain.market import Quote, QuoteBatch
from arena.domain.orders import OrderIntent, Side
from arena.engine.competition import Competition, rank_order
from arena.errors import ArenaError, ErrorCode
from arena.feeds.simulated import SimulatedFeed

from ..builders import sim_config

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def batch(i: int, **prices: str) -> QuoteBatch:
    ts = T0 + timedelta(minutes=i)
    return QuoteBatch(ts, tuple(Quote(s.replace("_", "-"), Decimal(p), ts) for s, p in prices.items()))


def test_state_machine_allows_only_valid_transitions():
    c = Competition("c1", sim_config())
    with pytest.raises(ArenaError) as err:
        c.transition(CompetitionStatus.PAUSED, T0)
    assert err.value.code is ErrorCode.NOT_RUNNING
    c.transition(CompetitionStatus.RUNNING, T0)
    with pytest.raises(ArenaError) as err:
        c.transition(CompetitionStatus.RUNNING, T0)
    assert err.value.code is ErrorCode.ALREADY_RUNNING
    c.transition(CompetitionStatus.PAUSED, T0)
    with pytest.raises(ArenaError) as err:
        c.transition(CompetitionStatus.PAUSED, T0)
    assert err.value.code is ErrorCode.PAUSED
    with pytest.raises(ArenaError) as err:
        c.play_round(batch(1, BTC_USD="100"))
    assert err.value.code is ErrorCode.NOT_RUNNING
    c.transition(CompetitionStatus.RUNNING, T0)
    events = c.finish(CompetitionStatus.STOPPED, T0, "operator")
    assert events[0].status is CompetitionStatus.STOPPED
    assert events[1].winner_id is None
    with pytest.raises(ArenaError) as err:
        c.transition(CompetitionStatus.RUNNING, T0)
    assert err.value.code is ErrorCode.NOT_PAUSED


def play(config, rounds: int):
    competition = Competition("c", config)
    competition.transition(CompetitionStatus.RUNNING, T0)
    feed = SimulatedFeed(None, seed=config.feed.seed, start=T0)
    events = []
    for _, b in zip(range(rounds), feed.batches(), strict=False):
        events.extend(competition.play_round(b))
    return competition, events


def fills_of(events):
    return [
        (e.fill.agent_id, e.fill.symbol, e.fill.side, e.fill.quantity, e.fill.price, e.fill.fee, e.fill.round)
        for e in events
        if isinstance(e, OrderFilled)
    ]


def test_same_config_and_seed_give_identical_trades():
    _, first = play(sim_config(seed=11), 600)
    _, second = play(sim_config(seed=11), 600)
    assert fills_of(first) and fills_of(first) == fills_of(second)
    _, other = play(sim_config(seed=12), 600)
    assert fills_of(other) != fills_of(first)


def test_every_round_ends_with_a_ranked_leaderboard_and_a_winner_at_the_end():
    competition, events = play(sim_config(seed=3), 200)
    rounds = [e for e in events if isinstance(e, RoundCompleted)]
    assert [r.round for r in rounds] == list(range(1, 201))
    last = rounds[-1].leaderboard
    assert [s.rank for s in last] == list(range(1, len(last) + 1))
    assert all(a.equity >= b.equity for a, b in itertools.pairwise(last))
    finished = competition.finish(CompetitionStatus.FINISHED, T0, "done")[1]
    assert finished.winner_id == finished.leaderboard[0].agent_id


def test_accounts_stay_consistent_with_fills():
    competition, events = play(sim_config(seed=5), 500)
    for entrant in competition.entrants.values():
        fills = [e.fill for e in events if isinstance(e, OrderFilled) and e.fill.agent_id == entrant.info.agent_id]
        assert entrant.account.trade_count == len(fills)
        assert entrant.account.realized_pnl == sum((f.realized_pnl for f in fills), Decimal(0))
        assert entrant.account.cash >= 0


def test_bad_external_orders_are_rejected_with_codes_and_change_nothing():
    config = sim_config(agents=(AgentSpec.bot("bot", "bot-1"),))
    c = Competition("c", config, symbols=("BTC-USD",))
    with pytest.raises(ArenaError) as err:
        c.submit_external("c-0", OrderIntent("BTC-USD", Side.BUY, quantity=Decimal(1)))
    assert err.value.code is ErrorCode.NOT_RUNNING
    c.transition(CompetitionStatus.RUNNING, T0)
    bad = [
        (OrderIntent("DOGE-USD", Side.BUY, quantity=Decimal(1)), ErrorCode.UNKNOWN_SYMBOL),
        (OrderIntent("BTC-USD", Side.BUY, quantity=Decimal(0)), ErrorCode.INVALID_QUANTITY),
        (OrderIntent("BTC-USD", Side.BUY, quantity=Decimal(-1)), ErrorCode.INVALID_QUANTITY),
        (OrderIntent("BTC-USD", Side.BUY, quantity=Decimal("NaN")), ErrorCode.INVALID_QUANTITY),
        (OrderIntent("BTC-USD", Side.BUY, quantity=Decimal(1000)), ErrorCode.INSUFFICIENT_CASH),
        (OrderIntent("BTC-USD", Side.SELL, quantity=Decimal(1)), ErrorCode.INSUFFICIENT_POSITION),
    ]
    for intent, _ in bad:
        c.submit_external("c-0", intent)
    events = c.play_round(batch(1, BTC_USD="100"))
    codes = [e.rejection.code for e in events if isinstance(e, OrderRejected)]
    assert codes == [code for _, code in bad]
    account = c.entrants["c-0"].account
    assert account.cash == Decimal(10_000) and not account.positions and account.trade_count == 0
    c.transition(CompetitionStatus.PAUSED, T0)
    with pytest.raises(ArenaError) as err:
        c.submit_external("c-0", bad[0][0])
    assert err.value.code is ErrorCode.PAUSED


def test_agent_rests_after_consecutive_losses():
    config = sim_config(
        agents=(AgentSpec.bot("bot", "bot-1"), AgentSpec("m", "momentum")),
        rest_after_losses=2,
        rest_rounds=3,
        fee_bps=Decimal(0),
        slippage_bps=Decimal(0),
    )
    c = Competition("c", config, symbols=("BTC-USD",))
    c.transition(CompetitionStatus.RUNNING, T0)
    momentum = c.entrants["c-1"]
    # force two losing sells through the momentum agent's account
    c.play_round(batch(1, BTC_USD="100"))
    for i, price in enumerate(("90", "80"), start=2):
        momentum.account.buy("BTC-USD", Decimal(1), Decimal(100), Decimal(0))
        momentum.inbox.append((OrderIntent("BTC-USD", Side.SELL, quantity=Decimal(1)), None))
        c.play_round(batch(i, BTC_USD=price))
    assert momentum.status is AgentStatus.RESTING
    assert momentum.tracker.scars == 2
    for i in range(4, 7):
        c.play_round(batch(i, BTC_USD="80"))
        assert momentum.status is AgentStatus.RESTING, f"round {i}"
    c.play_round(batch(7, BTC_USD="80"))
    assert momentum.status is AgentStatus.ACTIVE


def test_a_strategy_that_raises_skips_its_turn_and_the_round_stays_whole():
    class Broken(Agent):
        strategy = "broken"
        description = "a strategy with a bug"

        def on_round(self, quotes, account):
            raise ZeroDivisionError("a bug in the strategy")

    config = sim_config(agents=(AgentSpec("broken", "momentum"), AgentSpec("steady", "buy_and_hold")))
    competition = Competition("c", config)
    competition.entrants["c-0"].agent = Broken()  # a strategy with a bug, written for this test
    competition.transition(CompetitionStatus.RUNNING, T0)
    events = competition.play_round(QuoteBatch(T0, (Quote("BTC-USD", Decimal(100), T0),)))
    assert [type(e) for e in events][-1] is RoundCompleted and competition.round == 1
    assert [e.fill.agent_id for e in events if isinstance(e, OrderFilled)] == ["c-1"]  # the other agent traded
    [(agent_id, error)] = competition.agent_failures
    assert agent_id == "c-0" and isinstance(error, ZeroDivisionError)


def test_a_snapshot_built_positionally_has_each_number_in_its_own_field():
    """`Competition.snapshot` passes the fields by position (it runs for every agent every round):
    a field added to `AgentSnapshot` out of order must fail here, not shift the others silently."""
    from dataclasses import fields

    from arena.domain.events import AgentSnapshot

    competition = Competition("c1", sim_config(rounds=50))
    competition.transition(CompetitionStatus.RUNNING, T0)
    for quotes in itertools.islice(SimulatedFeed(["BTC-USD", "ETH-USD"], seed=3).batches(), 50):
        competition.play_round(quotes)
    entrant = next(e for e in competition.entrants.values() if e.account.positions and e.account.trade_count)
    snapshot = competition.snapshot(entrant, rank=2)
    account, tracker, prices = entrant.account, entrant.tracker, competition.prices
    expected = {
        "agent_id": entrant.info.agent_id,
        "name": entrant.info.name,
        "strategy": entrant.info.strategy,
        "kind": entrant.info.kind,
        "status": entrant.status,
        "cash": account.cash,
        "equity": account.equity(prices),
        "realized_pnl": account.realized_pnl,
        "unrealized_pnl": account.unrealized_pnl(prices),
        "return_pct": tracker.return_pct(account.equity(prices)),
        "trade_count": account.trade_count,
        "win_rate": tracker.win_rate,
        "scars": tracker.scars,
        "max_drawdown": tracker.max_drawdown,
        "sharpe": tracker.sharpe,
        "profit_factor": tracker.profit_factor,
        "rank": 2,
    }
    assert [f.name for f in fields(AgentSnapshot)] == list(expected)
    assert snapshot == AgentSnapshot(**expected)
    assert snapshot.trade_count > 0 and snapshot.cash != snapshot.equity  # a telling case: it traded and holds


@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=4).map(lambda n: Decimal(n) / 2), min_size=3, max_size=3),
        min_size=1,
        max_size=12,
    )
)
def test_the_ranking_is_by_equity_then_entry_order_whatever_the_order_before(rounds: list[list[Decimal]]) -> None:
    """Round after round (equal equities often, orders that hold and orders that change), the
    ranking kept from the round before is the ranking sorted afresh."""
    order: list[int] = []
    for equities in rounds:
        order = rank_order(equities, order)
        assert order == sorted(range(len(equities)), key=lambda i: (-equities[i], i))

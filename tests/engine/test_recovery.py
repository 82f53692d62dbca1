"""Rebuilding an interrupted competition: replaying its own seeded feed, or restoring it on the shared feed."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import islice

import pytest

from arena.agents.spec import AgentSpec
from arena.domain.account import Account, Position
from arena.domain.events import AgentStatus, CompetitionStatus, OrderFilled
from arena.domain.market import Quote, QuoteBatch
from arena.domain.orders import Fill, OrderIntent, Side
from arena.engine.competition import Competition
from arena.engine.recovery import replay_own_feed, restore_on_shared_feed
from arena.engine.stats import PerformanceTracker
from arena.errors import ArenaError, ErrorCode
from arena.feeds.simulated import SimulatedFeed

from ..builders import STRATEGIES, sim_config

D = Decimal
T0 = datetime(2024, 1, 1, tzinfo=UTC)
ROUNDS = 40
BOT = "c-5"  # the sixth entrant (slot 5) of competition "c"
CONFIG = sim_config(rounds=100, agents=(*(AgentSpec(s, s) for s in STRATEGIES), AgentSpec.bot("bot", "bot-1")))
# the bot's orders, by the round they are sent before
BOT_ORDERS = {
    3: [OrderIntent("BTC-USD", Side.BUY, quantity=D("0.05"), client_order_id="first")],
    10: [OrderIntent("BTC-USD", Side.SELL, quantity=D("0.02"))],
    20: [OrderIntent("ETH-USD", Side.BUY, notional=D("500")), OrderIntent("SOL-USD", Side.SELL, quantity=D(1))],
    41: [OrderIntent("BTC-USD", Side.SELL, quantity=D("0.03"))],  # after the interruption
}


def feed() -> SimulatedFeed:
    return SimulatedFeed(None, seed=CONFIG.feed.seed, start=T0)


def play_live(rounds: int):
    """Play `rounds` rounds as the runner would; returns the competition, its batch iterator and its fills."""
    competition = Competition("c", CONFIG)
    competition.transition(CompetitionStatus.RUNNING, T0)
    batches = feed().batches()
    fills = play_on(competition, batches, 1, rounds)
    return competition, batches, fills


def play_on(competition: Competition, batches, first: int, last: int) -> list[Fill]:
    fills = []
    for number in range(first, last + 1):
        for intent in BOT_ORDERS.get(number, ()):
            competition.submit_external(BOT, intent)
        fills.extend(e.fill for e in competition.play_round(next(batches)) if isinstance(e, OrderFilled))
    competition.take_outcomes()
    return fills


def replay(fills, batches=None) -> tuple[Competition, object]:
    batches = batches if batches is not None else feed().batches()
    return replay_own_feed("c", CONFIG, ROUNDS, fills, batches, symbols=None, started_at=T0), batches


@pytest.fixture(scope="module")
def live():
    return play_live(ROUNDS)


# --- replay_own_feed ---------------------------------------------------------------------------


def test_the_live_run_has_bot_and_agent_fills(live):
    _, _, fills = live
    # the bot's four orders before round 40: the SOL sell has no position and is rejected, the others fill
    assert [(f.round, f.symbol, f.side) for f in fills if f.agent_id == BOT] == [
        (3, "BTC-USD", Side.BUY),
        (10, "BTC-USD", Side.SELL),
        (20, "ETH-USD", Side.BUY),
    ]
    assert {f.agent_id for f in fills} - {BOT}, "built-in agents traded too"


def test_replay_rebuilds_the_same_competition(live):
    competition, _, fills = live
    rebuilt, _ = replay(fills)
    assert rebuilt.round == competition.round == ROUNDS
    assert rebuilt.prices == competition.prices
    assert rebuilt.last_timestamp == competition.last_timestamp == T0 + timedelta(minutes=ROUNDS - 1)
    for agent_id, entrant in competition.entrants.items():
        assert rebuilt.entrants[agent_id].account == entrant.account, agent_id
        assert rebuilt.entrants[agent_id].status is entrant.status
    assert rebuilt.leaderboard() == competition.leaderboard()
    # the bot holds what its fills gave it: not the opening account
    assert rebuilt.entrants[BOT].account.trade_count == 3
    assert rebuilt.entrants[BOT].account != Account.open(CONFIG.starting_cash)


def test_replay_leaves_the_competition_interrupted_with_its_start_time(live):
    _, _, fills = live
    rebuilt, _ = replay(fills)
    assert rebuilt.status is CompetitionStatus.INTERRUPTED
    assert rebuilt.started_at == T0
    assert rebuilt.outcomes == []  # the replayed bot orders hand nothing back to anyone


def test_replay_leaves_the_feed_positioned_after_the_replayed_rounds():
    _, live_batches, _ = play_live(ROUNDS)
    _competition, _, fills = play_live(ROUNDS)
    _, batches = replay(fills)
    following = next(batches)
    assert following == next(live_batches)
    # batch i is stamped start + i minutes (batch 0 is round 1), so round 41's is T0 + 40 minutes
    assert following.timestamp == T0 + timedelta(minutes=ROUNDS)


def test_a_rebuilt_competition_goes_on_exactly_like_the_live_one():
    competition, live_batches, fills = play_live(ROUNDS)
    rebuilt, batches = replay(fills)
    rebuilt.transition(CompetitionStatus.RUNNING, T0 + timedelta(hours=1), "resumed")
    later_live = play_on(competition, live_batches, ROUNDS + 1, ROUNDS + 20)
    later_rebuilt = play_on(rebuilt, batches, ROUNDS + 1, ROUNDS + 20)
    assert later_rebuilt == later_live
    assert any(f.agent_id == BOT and f.round == 41 for f in later_rebuilt)
    # seq goes on from the replayed fills
    assert later_rebuilt[0].seq == fills[-1].seq + 1
    assert rebuilt.leaderboard() == competition.leaderboard()


def tamper_price(fills: list[Fill], index: int) -> list[Fill]:
    changed = list(fills)
    changed[index] = dataclasses.replace(changed[index], price=changed[index].price + D("0.01"))
    return changed


def first_index(fills, bot: bool) -> int:
    return next(i for i, f in enumerate(fills) if (f.agent_id == BOT) is bot)


@pytest.mark.parametrize("whose", ["bot", "agent"])
def test_a_recorded_fill_with_another_price_is_refused(live, whose):
    _, _, fills = live
    changed = tamper_price(fills, first_index(fills, whose == "bot"))
    with pytest.raises(ArenaError) as err:
        replay(changed)
    assert err.value.code is ErrorCode.INVALID_CONFIG
    assert "cannot resume deterministically" in err.value.message
    assert f"fill {changed[first_index(fills, whose == 'bot')].seq} differs" in err.value.message


def test_a_missing_recorded_bot_fill_is_refused(live):
    _, _, fills = live
    without = [f for f in fills if not (f.agent_id == BOT and f.round == 10)]
    with pytest.raises(ArenaError) as err:
        replay(without)
    assert err.value.code is ErrorCode.INVALID_CONFIG
    # the round-10 sell is not re-sent, so the next fill (the round-20 ETH buy) takes its seq on replay
    # and differs from the recorded fill with the next seq
    removed = next(f.seq for f in fills if f.agent_id == BOT and f.round == 10)
    assert f"cannot resume deterministically: fill {removed + 1} differs" in err.value.message


def test_a_feed_that_ends_early_is_refused(live):
    _, _, fills = live
    short = iter(list(islice(feed().batches(), ROUNDS - 1)))
    with pytest.raises(ArenaError) as err:
        replay(fills, short)
    assert err.value.code is ErrorCode.INVALID_CONFIG
    assert "cannot resume deterministically" in err.value.message
    assert f"ended at round {ROUNDS - 1} of {ROUNDS}" in err.value.message


def test_a_feed_with_another_seed_is_refused(live):
    _, _, fills = live
    other = SimulatedFeed(None, seed=CONFIG.feed.seed + 1, start=T0).batches()
    with pytest.raises(ArenaError) as err:
        replay(fills, other)
    assert err.value.code is ErrorCode.INVALID_CONFIG


# --- restore_on_shared_feed --------------------------------------------------------------------

SHARED = sim_config(feed=None, rounds=None, agents=(AgentSpec("m", "momentum"), AgentSpec.bot("bot", "bot-1")))
MOMENTUM, SHARED_BOT = "c-0", "c-1"


def fill(seq: int, agent_id: str, side: Side, quantity: str, price: str, pnl: str, round_: int) -> Fill:
    intent = OrderIntent("BTC-USD", side, quantity=D(quantity))
    return Fill(
        agent_id,
        agent_id,
        intent,
        side,
        D(quantity),
        D(price),
        D(0),
        D(pnl),
        round_,
        T0 + timedelta(minutes=round_),
        seq,
    )


RECORDED = [
    fill(3, SHARED_BOT, Side.BUY, "1", "100", "0", 2),  # a buy closes nothing
    fill(5, MOMENTUM, Side.SELL, "0.1", "90", "-2", 3),  # a loss
    fill(6, SHARED_BOT, Side.SELL, "0.25", "100", "0", 3),  # pnl 0: a loss
    fill(7, SHARED_BOT, Side.SELL, "0.25", "120", "5", 4),  # a win
]
BOT_ACCOUNT = Account(
    starting_cash=D(10_000),
    cash=D(9950),
    positions={"BTC-USD": Position("BTC-USD", D("0.5"), D(50))},
    realized_pnl=D(5),
    fees_paid=D(0),
    trade_count=3,
)
MARKS = {"BTC-USD": D(120), "ETH-USD": D(3000), "SOL-USD": D(150)}
STARTED = T0 - timedelta(days=1)


def restored() -> Competition:
    return restore_on_shared_feed(
        "c",
        SHARED,
        5,
        RECORDED,
        accounts={SHARED_BOT: BOT_ACCOUNT},
        prices=MARKS,
        started_at=STARTED,
        feed_id="sim:market",
    )


def test_restore_sets_round_accounts_prices_and_start():
    competition = restored()
    assert competition.round == 5
    assert competition.status is CompetitionStatus.INTERRUPTED
    assert competition.started_at == STARTED
    assert competition.feed_id == "sim:market"
    assert competition.prices == MARKS
    assert competition.entrants[SHARED_BOT].account == BOT_ACCOUNT
    # an entrant with no rebuilt account keeps its opening one
    assert competition.entrants[MOMENTUM].account == Account.open(D(10_000))
    # bot equity: 9950 cash + 0.5 x 120 = 10010, ahead of momentum's untouched 10000
    board = competition.leaderboard()
    assert [(s.agent_id, s.rank, s.equity) for s in board] == [(SHARED_BOT, 1, D(10010)), (MOMENTUM, 2, D(10000))]
    assert board[0].return_pct == pytest.approx(0.1)  # 10 / 10000 x 100


def test_restore_recounts_closed_trades():
    competition = restored()
    bot = competition.entrants[SHARED_BOT].tracker
    # the bot's two sells: 0 (a loss) then +5 (a win); its buy is not a closed trade
    assert (bot.wins, bot.losses, bot.scars, bot.closed_trades) == (1, 1, 1, 2)
    assert bot.win_rate == 0.5
    assert bot.consecutive_losses == 0  # the win came last
    momentum = competition.entrants[MOMENTUM].tracker
    assert (momentum.wins, momentum.scars, momentum.win_rate) == (0, 1, 0.0)  # one sell, -2
    assert momentum.profit_factor == 0.0  # 0 profit / 2 loss
    snapshot = {s.agent_id: s for s in competition.leaderboard()}
    assert (snapshot[SHARED_BOT].win_rate, snapshot[SHARED_BOT].scars) == (0.5, 1)


def test_a_fill_after_resuming_continues_the_recorded_seq():
    competition = restored()
    competition.transition(CompetitionStatus.RUNNING, T0 + timedelta(hours=1), "resumed")
    assert competition.started_at == STARTED  # resuming is not a new start
    competition.submit_external(SHARED_BOT, OrderIntent("BTC-USD", Side.BUY, quantity=D("0.1")))
    at = T0 + timedelta(hours=1)
    events = competition.play_round(QuoteBatch(at, (Quote("BTC-USD", D(120), at),)))
    fills = [e.fill for e in events if isinstance(e, OrderFilled)]
    # the highest recorded seq is 7, so the next fill is 8; round 5 + 1
    # price 120 x (1 + 5 bps) = 120.06, fee ceil8(0.1 x 120.06 x 10 bps) = 0.012006
    assert [(f.agent_id, f.seq, f.round, f.price, f.fee) for f in fills][:1] == [
        (SHARED_BOT, 8, 6, D("120.06"), D("0.012006"))
    ]


def test_restore_takes_the_highest_seq_even_when_fills_come_unsorted():
    competition = restore_on_shared_feed(
        "c", SHARED, 5, list(reversed(RECORDED)), accounts={}, prices=MARKS, started_at=STARTED, feed_id="sim:market"
    )
    competition.transition(CompetitionStatus.RUNNING, T0)
    competition.submit_external(SHARED_BOT, OrderIntent("BTC-USD", Side.BUY, quantity=D("0.1")))
    events = competition.play_round(QuoteBatch(T0, (Quote("BTC-USD", D(120), T0),)))
    assert next(e.fill.seq for e in events if isinstance(e, OrderFilled)) == 8  # max(3, 5, 6, 7) + 1


def test_restore_refuses_a_fill_of_no_entrant():
    stranger = [*RECORDED, fill(9, "other-0", Side.SELL, "1", "100", "1", 4)]
    with pytest.raises(ArenaError) as err:
        restore_on_shared_feed(
            "c", SHARED, 5, stranger, accounts={}, prices=MARKS, started_at=STARTED, feed_id="sim:market"
        )
    assert err.value.code is ErrorCode.INVALID_CONFIG


def test_a_restored_losing_streak_matches_the_live_one():
    # live: two forced losing sells with rest_after_losses=2 rest the momentum agent and reset its streak
    config = sim_config(
        feed=None,
        rounds=None,
        symbols=("BTC-USD",),
        agents=(AgentSpec.bot("bot", "bot-1"), AgentSpec("m", "momentum")),
        rest_after_losses=2,
        rest_rounds=3,
        fee_bps=D(0),
        slippage_bps=D(0),
    )
    live = Competition("c", config, feed_id="sim:market")
    live.transition(CompetitionStatus.RUNNING, T0)
    momentum = live.entrants["c-1"]
    fills: list[Fill] = []
    live.play_round(QuoteBatch(T0, (Quote("BTC-USD", D(100), T0),)))
    for minute, price in ((1, "90"), (2, "80")):
        momentum.account.buy("BTC-USD", D(1), D(100), D(0))  # bought at 100 ...
        momentum.inbox.append((OrderIntent("BTC-USD", Side.SELL, quantity=D(1)), None))  # ... sold lower
        at = T0 + timedelta(minutes=minute)
        events = live.play_round(QuoteBatch(at, (Quote("BTC-USD", D(price), at),)))
        fills.extend(e.fill for e in events if isinstance(e, OrderFilled))
    assert momentum.status is AgentStatus.RESTING
    assert momentum.tracker.scars == 2 and momentum.tracker.consecutive_losses == 0

    again = restore_on_shared_feed(
        "c",
        config,
        live.round,
        fills,
        accounts={k: e.account for k, e in live.entrants.items()},
        prices=live.prices,
        started_at=T0,
        feed_id="sim:market",
    )
    assert again.entrants["c-1"].tracker.scars == 2
    assert again.entrants["c-1"].tracker.consecutive_losses == momentum.tracker.consecutive_losses  # 0


def test_restored_drawdown_and_sharpe_continue_from_the_recorded_equity():
    series = [D(10_000), D(10_500), D(9_450), D(9_900)]  # peak 10,500 -> trough 9,450: 10 % down
    live = PerformanceTracker(D(10_000))
    for value in series:
        live.record_equity(value)
    again = restore_on_shared_feed(
        "c",
        SHARED,
        4,
        [],
        accounts={},
        prices=MARKS,
        started_at=STARTED,
        feed_id="sim:market",
        equity={SHARED_BOT: series},
    )
    tracker = again.entrants[SHARED_BOT].tracker
    assert tracker.max_drawdown == pytest.approx(0.1) == live.max_drawdown
    assert tracker.sharpe == live.sharpe is not None

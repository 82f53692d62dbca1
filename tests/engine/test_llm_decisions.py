"""A model agent in the engine: when it asks, what its answers become, when it rests, and that a
recorded run replays from its stored decisions without asking again."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from arena.agents.spec import AgentSpec
from arena.domain.decisions import Action, DecisionStatus, ModelAnswer, SymbolAction
from arena.domain.events import AgentStatus, CompetitionStatus, DecisionRecorded, OrderFilled
from arena.domain.orders import Side
from arena.engine.competition import Competition
from arena.engine.recovery import replay_own_feed
from arena.feeds.simulated import SimulatedFeed

from ..builders import sim_config

T0 = datetime(2024, 1, 1, tzinfo=UTC)
LLM = "c-1"
PARAMS = {"model": "m", "base_url": "http://127.0.0.1:9/v1", "decide_every": 3, "max_position_fraction": 0.3}
CONFIG = sim_config(rounds=100, agents=(AgentSpec("hold", "buy_and_hold"), AgentSpec("llm", "llm", PARAMS)))


def competition() -> tuple[Competition, object]:
    c = Competition("c", CONFIG)
    c.transition(CompetitionStatus.RUNNING, T0)
    return c, SimulatedFeed(None, seed=CONFIG.feed.seed, start=T0).batches()


def answer(asked_round: int, *actions: SymbolAction, error: str | None = None) -> ModelAnswer:
    now = datetime(2026, 12, 1, tzinfo=UTC)
    return ModelAnswer(LLM, asked_round, now, now + timedelta(milliseconds=250), "m", "prompt", "{}", actions, error)


def buy(symbol: str, fraction: float) -> SymbolAction:
    return SymbolAction(symbol, Action.BUY, fraction, 0.9, "up")


def test_asks_every_decide_every_rounds_with_the_facts_of_its_prompt() -> None:
    c, batches = competition()
    asked = []
    for _ in range(9):
        c.play_round(next(batches))
        asked += c.take_decision_requests()
    assert [(r.round, r.number) for r in asked] == [(3, 1), (6, 2), (9, 3)]
    facts = asked[-1].facts
    assert facts["rules"] == {
        "fee_bps": "10",
        "slippage_bps": "5",
        "max_position_fraction": 0.3,
        "symbols": ["BTC-USD", "ETH-USD", "SOL-USD"],
    }
    btc = facts["symbols"][0]
    assert btc["symbol"] == "BTC-USD" and len(btc["closes"]) == 9 and btc["price"] == str(c.prices["BTC-USD"])
    assert facts["account"]["cash"] == "10000" and facts["account"]["positions"] == []


def test_an_answer_executes_at_the_next_rounds_price_capped_per_symbol() -> None:
    c, batches = competition()
    for _ in range(3):
        c.play_round(next(batches))
    c.submit_decision(answer(3, buy("BTC-USD", 0.8), SymbolAction("ETH-USD", Action.SELL, 1.0)))
    events = c.play_round(next(batches))
    fills = [e.fill for e in events if isinstance(e, OrderFilled) and e.fill.agent_id == LLM]
    (recorded,) = [e.decision for e in events if isinstance(e, DecisionRecorded)]
    assert recorded.status is DecisionStatus.EXECUTED and recorded.round == 4 and recorded.answer.asked_round == 3
    # 80 % asked, 30 % allowed; the sell of a position it does not hold makes no order
    assert [(f.symbol, f.side) for f in fills] == [("BTC-USD", Side.BUY)]
    assert fills[0].intent.notional == Decimal("3000.00000000")
    (order,) = recorded.orders
    assert (
        order.fill_seq == fills[0].seq
        and order.price == fills[0].price == c.costs.fill_price(Side.BUY, c.prices["BTC-USD"])
        and order.filled_quantity == fills[0].quantity
    )
    # a second buy only tops the position up to the cap
    c.submit_decision(answer(4, buy("BTC-USD", 0.8)))
    more = [e.fill for e in c.play_round(next(batches)) if isinstance(e, OrderFilled) and e.fill.agent_id == LLM]
    held = c.entrants[LLM].account.positions["BTC-USD"].quantity * c.prices["BTC-USD"]
    equity = c.entrants[LLM].account.equity(c.prices)
    assert len(more) <= 1 and held <= equity * Decimal("0.3") + Decimal("0.01")


def test_three_failures_in_a_row_rest_the_agent_then_it_asks_again() -> None:
    c, batches = competition()
    asked_at = []
    for number in range(1, 60):
        for request in c.take_decision_requests():
            asked_at.append(request.round)
            c.submit_decision(answer(request.round, error="HTTP 500 from the model"))
        c.play_round(next(batches))
        if number == 10:
            assert c.entrants[LLM].status is AgentStatus.RESTING
    # asked at 3, 6, 9 (three failures, recorded at 4, 7, 10): rests 10 rounds, then asks again
    assert asked_at[:3] == [3, 6, 9] and asked_at[3] > 20
    assert c.entrants[LLM].status is AgentStatus.ACTIVE


def test_a_late_answer_is_recorded_and_not_executed() -> None:
    c, batches = competition()
    for _ in range(3):
        c.play_round(next(batches))
    c.submit_decision(replace(answer(3, buy("BTC-USD", 0.2)), late=True))
    events = c.play_round(next(batches))
    (recorded,) = [e.decision for e in events if isinstance(e, DecisionRecorded)]
    assert recorded.status is DecisionStatus.LATE and recorded.orders == ()
    assert not [e for e in events if isinstance(e, OrderFilled) and e.fill.agent_id == LLM]


def test_a_replay_executes_the_stored_decisions_at_their_rounds_and_asks_nothing() -> None:
    c, batches = competition()
    decisions, fills = [], []
    for _ in range(30):
        for request in c.take_decision_requests():
            fraction = 0.2 if request.number % 2 else 1.0
            action = Action.BUY if request.number % 2 else Action.SELL
            c.submit_decision(answer(request.round, SymbolAction("ETH-USD", action, fraction)))
        events = c.play_round(next(batches))
        decisions += [e.decision for e in events if isinstance(e, DecisionRecorded)]
        fills += [e.fill for e in events if isinstance(e, OrderFilled)]
    assert len(decisions) >= 3 and any(f.agent_id == LLM for f in fills)
    again_batches = SimulatedFeed(None, seed=CONFIG.feed.seed, start=T0).batches()
    again = replay_own_feed(
        "c", CONFIG, 30, fills, again_batches, symbols=None, started_at=T0, recorded_decisions=decisions
    )
    assert again.take_decision_requests() == []
    assert again.entrants[LLM].account.positions == c.entrants[LLM].account.positions
    assert again.entrants[LLM].agent.decisions_asked == c.entrants[LLM].agent.decisions_asked >= len(decisions)
    assert again._decision_seq == len(decisions)

"""The rules against events: crossings fire once and re-arm past the hysteresis, each kind fires
where it must and not where it must not, cooldowns hold, and an evaluation not adopted (its batch
was not stored) fires again when the batch is retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from arena.alerts.evaluator import AlertEvaluator
from arena.alerts.rules import AlertKind, AlertRule
from arena.domain.events import (
    AgentKind,
    AgentSnapshot,
    AgentStatus,
    CompetitionFinished,
    CompetitionStatus,
    OrderFilled,
    QuotesReceived,
    RoundCompleted,
)
from arena.domain.market import Quote, QuoteBatch
from arena.domain.orders import Fill, OrderIntent, Side

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def quotes(*prices: str, symbol: str = "BTC-USD", feed: str = "sim-1", start: int = 0) -> list[QuotesReceived]:
    events = []
    for n, price in enumerate(prices, start):
        at = T0 + timedelta(minutes=n)
        batch = QuoteBatch(at, (Quote(symbol, Decimal(price), at),))
        events.append(QuotesReceived(feed_id=feed, competition_id=None, round=n, batch=batch))
    return events


def run(evaluator: AlertEvaluator, events: list) -> list[str]:
    evaluation = evaluator.evaluate(events)
    evaluator.adopt(evaluation)
    return [f.message for f in evaluation.fired]


def test_a_crossing_above_fires_once_and_rearms_after_the_hysteresis():
    evaluator = AlertEvaluator([AlertRule("a", AlertKind.PRICE_ABOVE, symbol="BTC-USD", threshold=Decimal(100))])
    assert run(evaluator, quotes("99", "101", "102", "100.5")) == ["BTC-USD crossed above 100: 101"]
    assert run(evaluator, quotes("99.95", "101", start=4)) == []  # 99.95 is within 0.1 %: not re-armed
    assert run(evaluator, quotes("99.9", "100.01", start=6)) == ["BTC-USD crossed above 100: 100.01"]


def test_the_first_price_only_arms_and_other_symbols_and_feeds_do_not_count():
    evaluator = AlertEvaluator([AlertRule("b", AlertKind.PRICE_BELOW, symbol="BTC-USD", threshold=Decimal(50))])
    assert run(evaluator, quotes("40", "30")) == []  # already below when first seen: no crossing
    assert run(evaluator, quotes("60", "40", symbol="ETH-USD")) == []
    assert run(evaluator, quotes("60", "40", start=2)) == ["BTC-USD crossed below 50: 40"]
    # BTC-USD is disarmed at 40 on sim-1; another feed starts over: seen at 45 first, it is not a crossing
    assert run(evaluator, quotes("45", "44", feed="sim-2", start=4)) == []
    assert run(evaluator, quotes("60", "45", feed="sim-2", start=6)) == ["BTC-USD crossed below 50: 45"]


def test_an_evaluation_not_adopted_fires_again_on_retry():
    evaluator = AlertEvaluator([AlertRule("a", AlertKind.PRICE_ABOVE, symbol="BTC-USD", threshold=Decimal(100))])
    run(evaluator, quotes("99"))
    batch = quotes("101", start=1)
    assert [f.message for f in evaluator.evaluate(batch).fired] == ["BTC-USD crossed above 100: 101"]  # not stored
    assert run(evaluator, batch) == ["BTC-USD crossed above 100: 101"]
    assert run(evaluator, batch) == []


def test_a_change_over_the_window_fires_and_starts_a_new_window():
    rule = AlertRule("c", AlertKind.PRICE_CHANGE_PCT, symbol="BTC-USD", percent=5.0, window_seconds=180)
    evaluator = AlertEvaluator([rule])
    assert run(evaluator, quotes("100", "101", "103", "104")) == []  # +4 % within 3 minutes
    fired = run(evaluator, quotes("108", start=4))  # 104 → 108 is +3.8 %, 101 (3 min before) → 108 is +6.9 %
    assert fired == ["BTC-USD moved +6.93% in 180s: 101 → 108"]
    assert run(evaluator, quotes("109", "110", start=5)) == []  # a new window from 108


def _fill(agent: str, quantity: str, price: str, n: int = 1) -> OrderFilled:
    intent = OrderIntent("BTC-USD", Side.BUY, quantity=Decimal(quantity))
    fill = Fill(agent, agent, intent, Side.BUY, Decimal(quantity), Decimal(price), Decimal(0), Decimal(0), n, T0, n)
    return OrderFilled("comp", fill)


def test_agent_trades_fire_by_agent_and_notional_with_a_cooldown():
    evaluator = AlertEvaluator(
        [
            AlertRule("any", AlertKind.AGENT_TRADE),
            AlertRule("big", AlertKind.AGENT_TRADE, agent_id="a1", min_notional=Decimal(1000)),
            AlertRule("quiet", AlertKind.AGENT_TRADE, cooldown_seconds=3600),
        ]
    )
    evaluation = evaluator.evaluate([_fill("a1", "1", "500"), _fill("a2", "3", "500", 2), _fill("a1", "2", "600", 3)])
    fired = [(f.rule.id, f.payload["agentId"], f.payload["notional"]) for f in evaluation.fired]
    assert fired == [
        ("any", "a1", "500"),
        ("quiet", "a1", "500"),
        ("any", "a2", "1500"),
        ("any", "a1", "1200"),
        ("big", "a1", "1200"),
    ]


def _board(equity: str, agent: str = "a1") -> tuple[AgentSnapshot, ...]:
    snapshot = AgentSnapshot(
        agent, agent, "momentum", AgentKind.BUILTIN, AgentStatus.ACTIVE, Decimal(0), Decimal(equity)
    )
    return (snapshot,)


def test_drawdown_fires_past_the_limit_from_the_peak_and_rearms_under_80_percent_of_it():
    evaluator = AlertEvaluator([AlertRule("dd", AlertKind.AGENT_DRAWDOWN, percent=10.0)])
    rounds = [RoundCompleted("comp", n, T0, _board(e)) for n, e in enumerate(["1000", "1200", "1100", "1070"])]
    assert run(evaluator, rounds) == ["a1 is 10.83% below its peak equity (1200 → 1070)"]
    assert run(evaluator, [RoundCompleted("comp", 5, T0, _board("1050"))]) == []  # still past: fired already
    assert run(evaluator, [RoundCompleted("comp", 6, T0, _board("1120"))]) == []  # 6.7 % < 8 %: re-armed
    assert len(run(evaluator, [RoundCompleted("comp", 7, T0, _board("1060"))])) == 1


def test_competition_finished_and_the_feed_rule():
    evaluator = AlertEvaluator(
        [AlertRule("end", AlertKind.COMPETITION_FINISHED), AlertRule("feed", AlertKind.FEED_STALE)]
    )
    assert run(evaluator, [*quotes("1"), RoundCompleted("comp", 1, T0, _board("1000"))]) == []
    finished = CompetitionFinished("comp", CompetitionStatus.FINISHED, 9, T0, "a1", _board("1000"))
    assert run(evaluator, [finished]) == ["competition comp finished after 9 rounds, won by a1 (1000)"]
    fresh = evaluator.evaluate_feed(False, "coinbase: LIVE", T0)
    evaluator.adopt(fresh)
    assert fresh.fired == []
    stale = evaluator.evaluate_feed(True, "coinbase: STALE", T0)
    evaluator.adopt(stale)
    assert [f.message for f in stale.fired] == ["the market feed is stale: coinbase: STALE"]
    again = evaluator.evaluate_feed(True, "coinbase: STALE", T0)
    assert again.fired == []  # once per stale spell
    evaluator.adopt(evaluator.evaluate_feed(False, "coinbase: LIVE", T0))
    assert len(evaluator.evaluate_feed(True, "coinbase: STALE", T0).fired) == 1


def test_a_changed_channel_keeps_the_state_and_a_changed_condition_arms_anew():
    rule = AlertRule("c", AlertKind.PRICE_ABOVE, symbol="BTC-USD", threshold=Decimal(100))
    evaluator = AlertEvaluator([rule])
    assert run(evaluator, quotes("99", "101")) == ["BTC-USD crossed above 100: 101"]
    evaluator.put(rule.with_changes({"webhook_url": "https://example.com/hook", "cooldown_seconds": 60}))
    assert run(evaluator, quotes("102", start=2)) == []  # still above: a new URL does not fire it again
    evaluator.put(rule.with_changes({"threshold": Decimal(101)}))
    assert run(evaluator, quotes("100", "103", start=3)) == ["BTC-USD crossed above 101: 103"]


def test_an_evaluation_of_a_rule_whose_channel_changed_meanwhile_is_still_adopted():
    rule = AlertRule("d", AlertKind.PRICE_ABOVE, symbol="BTC-USD", threshold=Decimal(100))
    evaluator = AlertEvaluator([rule])
    evaluation = evaluator.evaluate(quotes("99", "101"))
    evaluator.put(rule.with_changes({"webhook_url": "https://example.com/hook"}))
    evaluator.adopt(evaluation)
    assert run(evaluator, quotes("102", start=2)) == []
    rearmed = evaluator.evaluate(quotes("99", "101", start=3))
    evaluator.put(rule.with_changes({"threshold": Decimal(50)}))
    evaluator.adopt(rearmed)  # its state is of the old condition: dropped
    assert run(evaluator, quotes("40", "60", start=5)) == ["BTC-USD crossed above 50: 60"]

"""Rules evaluated against recorded events, batch by batch, outside the engine.

`evaluate(events)` works on copies of the rules' state (armed flags, price windows, equity
peaks, cooldowns) and returns them with what fired; `adopt` keeps them once the batch (and the
alerts it fired) is stored. A batch the store refused is evaluated again when it is retried,
from the same state, so it fires the same alerts: none lost, none twice.

Choices (README "Alerts"): a price rule fires on the crossing (the first price seen only arms
it) and re-arms once the price is back past the threshold by 0.1 %; a change rule compares with
the oldest price of its window (feed time) and starts a new window after it fires; a drawdown
rule follows each agent's equity peak and re-arms when the drawdown is back under 80 % of the
limit; cooldowns count feed time for event rules and wall time for the feed rule.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from arena.alerts.rules import AlertKind, AlertRule
from arena.domain.events import CompetitionFinished, Event, OrderFilled, QuotesReceived, RoundCompleted

PRICE_HYSTERESIS = Decimal("0.001")
DRAWDOWN_REARM = 0.8
PRICE_KINDS = (AlertKind.PRICE_ABOVE, AlertKind.PRICE_BELOW, AlertKind.PRICE_CHANGE_PCT)


@dataclass(frozen=True, slots=True)
class FiredAlert:
    rule: AlertRule
    message: str
    payload: dict[str, Any]
    at: datetime


@dataclass(slots=True)
class RuleState:
    feed_id: str | None = None
    armed: bool | None = None  # price crossings: None until the first price
    window: deque[tuple[datetime, Decimal]] = field(default_factory=deque)
    peaks: dict[str, Decimal] = field(default_factory=dict)
    agents_armed: dict[str, bool] = field(default_factory=dict)
    last_fired_at: datetime | None = None

    def copy(self) -> RuleState:
        return RuleState(
            self.feed_id,
            self.armed,
            deque(self.window),
            dict(self.peaks),
            dict(self.agents_armed),
            self.last_fired_at,
        )


@dataclass(slots=True)
class Evaluation:
    fired: list[FiredAlert]
    states: dict[str, tuple[AlertRule, RuleState]]  # the copies it changed, with the rule they belong to


class AlertEvaluator:
    def __init__(self, rules: Sequence[AlertRule] = ()) -> None:
        self._rules: dict[str, AlertRule] = {r.id: r for r in rules}
        self._states: dict[str, RuleState] = {r.id: RuleState() for r in rules}

    @property
    def rules(self) -> list[AlertRule]:
        return list(self._rules.values())

    def put(self, rule: AlertRule) -> None:
        """A new or changed rule. A changed condition arms anew; a change of channels or cooldown
        keeps the state, so fixing a webhook URL does not fire again what already fired."""
        previous = self._rules.get(rule.id)
        self._rules[rule.id] = rule
        if previous is None or previous.condition != rule.condition or rule.id not in self._states:
            self._states[rule.id] = RuleState()

    def remove(self, rule_id: str) -> None:
        self._rules.pop(rule_id, None)
        self._states.pop(rule_id, None)

    def adopt(self, evaluation: Evaluation) -> None:
        for rule_id, (rule, state) in evaluation.states.items():
            current = self._rules.get(rule_id)
            if current is not None and current.condition == rule.condition:  # not deleted nor re-armed meanwhile
                self._states[rule_id] = state

    def evaluate(self, events: Sequence[Event]) -> Evaluation:
        run = _Run(self._rules, self._states)
        for event in events:
            if isinstance(event, QuotesReceived):
                run.quotes(event)
            elif isinstance(event, OrderFilled):
                run.fill(event)
            elif isinstance(event, RoundCompleted):
                run.standings(event.leaderboard, event.at, event.competition_id)
            elif isinstance(event, CompetitionFinished):
                run.standings(event.leaderboard, event.at, event.competition_id)
                run.finished(event)
        return Evaluation(run.fired, run.changed)

    def evaluate_feed(self, stale: bool, description: str, at: datetime) -> Evaluation:
        """The feed rule, from the feed's health (a stale feed sends no event to evaluate)."""
        run = _Run(self._rules, self._states)
        run.feed(stale, description, at)
        return Evaluation(run.fired, run.changed)


class _Run:
    """One evaluation: reads the adopted states, writes copies."""

    def __init__(self, rules: dict[str, AlertRule], states: dict[str, RuleState]) -> None:
        self._rules = rules
        self._states = states
        self.fired: list[FiredAlert] = []
        self.changed: dict[str, tuple[AlertRule, RuleState]] = {}
        self._by_kind: dict[AlertKind, list[AlertRule]] = {}
        for rule in rules.values():
            self._by_kind.setdefault(rule.kind, []).append(rule)

    def _state(self, rule: AlertRule) -> RuleState:
        found = self.changed.get(rule.id)
        if found is None:
            found = self.changed[rule.id] = (rule, self._states.get(rule.id, RuleState()).copy())
        return found[1]

    def _fire(self, rule: AlertRule, state: RuleState, at: datetime, message: str, payload: dict[str, Any]) -> None:
        last = state.last_fired_at
        if (
            last is not None
            and rule.cooldown_seconds
            and timedelta(0) <= at - last < timedelta(seconds=rule.cooldown_seconds)
        ):
            return  # (feed time that went back — another feed, a replay again — ends the cooldown)
        state.last_fired_at = at
        self.fired.append(FiredAlert(rule, message, payload, at))

    # --- prices --------------------------------------------------------------------

    def quotes(self, event: QuotesReceived) -> None:
        rules = [r for kind in PRICE_KINDS for r in self._by_kind.get(kind, ())]
        if not rules:
            return
        for quote in event.batch.quotes:
            for rule in rules:
                if rule.symbol != quote.symbol:
                    continue
                state = self._state(rule)
                if state.feed_id != event.feed_id:  # another feed's prices: start over
                    state.feed_id, state.armed, state.window = event.feed_id, None, deque()
                if rule.kind is AlertKind.PRICE_CHANGE_PCT:
                    self._change(rule, state, quote.price, quote.timestamp, event.feed_id)
                else:
                    self._crossing(rule, state, quote.price, quote.timestamp, event.feed_id)

    def _crossing(self, rule: AlertRule, state: RuleState, price: Decimal, at: datetime, feed_id: str) -> None:
        assert rule.threshold is not None
        above = rule.kind is AlertKind.PRICE_ABOVE
        past = price > rule.threshold if above else price < rule.threshold
        if state.armed is None:
            state.armed = not past
            return
        if state.armed and past:
            state.armed = False
            word = "above" if above else "below"
            message = f"{rule.symbol} crossed {word} {rule.threshold}: {price}"
            payload = {"symbol": rule.symbol, "price": str(price), "threshold": str(rule.threshold), "feedId": feed_id}
            self._fire(rule, state, at, message, payload)
        elif not state.armed:
            margin = rule.threshold * PRICE_HYSTERESIS
            back = price <= rule.threshold - margin if above else price >= rule.threshold + margin
            if back:
                state.armed = True

    def _change(self, rule: AlertRule, state: RuleState, price: Decimal, at: datetime, feed_id: str) -> None:
        assert rule.percent is not None and rule.window_seconds is not None
        window = state.window
        window.append((at, price))
        horizon = at - timedelta(seconds=rule.window_seconds)
        while len(window) > 1 and window[1][0] <= horizon:
            window.popleft()  # keep one price at or before the horizon: the one to compare with
        first_at, first = window[0]
        if first <= 0 or first_at == at:
            return
        change = float((price - first) / first * 100)
        if abs(change) >= rule.percent:
            seconds = int((at - first_at).total_seconds())
            message = f"{rule.symbol} moved {change:+.2f}% in {seconds}s: {first} → {price}"
            payload = {
                "symbol": rule.symbol,
                "from": str(first),
                "price": str(price),
                "changePct": round(change, 4),
                "windowSeconds": rule.window_seconds,
                "feedId": feed_id,
            }
            self._fire(rule, state, at, message, payload)
            state.window = deque([(at, price)])

    # --- agents and competitions ------------------------------------------------------

    def fill(self, event: OrderFilled) -> None:
        fill = event.fill
        notional = fill.quantity * fill.price
        for rule in self._by_kind.get(AlertKind.AGENT_TRADE, ()):
            if rule.agent_id not in (None, fill.agent_id):
                continue
            if rule.min_notional is not None and notional < rule.min_notional:
                continue
            message = f"{fill.agent_name} {fill.side.value.lower()} {fill.quantity} {fill.symbol} at {fill.price}"
            payload = {
                "competitionId": event.competition_id,
                "agentId": fill.agent_id,
                "agentName": fill.agent_name,
                "symbol": fill.symbol,
                "side": fill.side.value,
                "quantity": str(fill.quantity),
                "price": str(fill.price),
                "notional": str(notional),
                "seq": fill.seq,
            }
            self._fire(rule, self._state(rule), fill.executed_at, message, payload)

    def standings(self, leaderboard: Sequence[Any], at: datetime, competition_id: str) -> None:
        rules = self._by_kind.get(AlertKind.AGENT_DRAWDOWN, ())
        for rule in rules:
            assert rule.percent is not None
            state = self._state(rule)
            for agent in leaderboard:
                if rule.agent_id not in (None, agent.agent_id):
                    continue
                peak = max(state.peaks.get(agent.agent_id, agent.equity), agent.equity)
                state.peaks[agent.agent_id] = peak
                drawdown = float((peak - agent.equity) / peak * 100) if peak > 0 else 0.0
                armed = state.agents_armed.get(agent.agent_id, True)
                if armed and drawdown >= rule.percent:
                    state.agents_armed[agent.agent_id] = False
                    message = f"{agent.name} is {drawdown:.2f}% below its peak equity ({peak} → {agent.equity})"
                    payload = {
                        "competitionId": competition_id,
                        "agentId": agent.agent_id,
                        "agentName": agent.name,
                        "drawdownPct": round(drawdown, 4),
                        "peak": str(peak),
                        "equity": str(agent.equity),
                    }
                    self._fire(rule, state, at, message, payload)
                elif not armed and drawdown < rule.percent * DRAWDOWN_REARM:
                    state.agents_armed[agent.agent_id] = True

    def finished(self, event: CompetitionFinished) -> None:
        winner = next((a for a in event.leaderboard if a.agent_id == event.winner_id), None)
        for rule in self._by_kind.get(AlertKind.COMPETITION_FINISHED, ()):
            won = f", won by {winner.name} ({winner.equity})" if winner else ""
            message = f"competition {event.competition_id} {event.status.value.lower()} after {event.round} rounds{won}"
            payload = {
                "competitionId": event.competition_id,
                "status": event.status.value,
                "round": event.round,
                "winnerId": event.winner_id,
                "winnerName": winner.name if winner else None,
            }
            self._fire(rule, self._state(rule), event.at, message, payload)

    def feed(self, stale: bool, description: str, at: datetime) -> None:
        for rule in self._by_kind.get(AlertKind.FEED_STALE, ()):
            state = self._state(rule)
            armed = state.armed is not False
            if stale and armed:
                state.armed = False
                self._fire(rule, state, at, f"the market feed is stale: {description}", {"feed": description})
            elif not stale:
                state.armed = True

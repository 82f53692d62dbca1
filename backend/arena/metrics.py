"""Prometheus metrics, names prefixed `arena_`, on a registry owned by the app (no globals)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from arena.domain.decisions import Decision
from arena.domain.events import CompetitionFinished, DecisionRecorded, Event, OrderFilled, RoundCompleted


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        labels = ["competition", "agent"]
        self.agent_equity = Gauge("arena_agent_equity", "Agent equity after the last round", labels, registry=r)
        self.agent_trades = Counter("arena_agent_trades", "Trades filled per agent", labels, registry=r)
        self.agent_win_rate = Gauge("arena_agent_win_rate", "Winning closed trades / closed trades", labels, registry=r)
        self.agent_scars = Gauge("arena_agent_scars", "Losing closed trades", labels, registry=r)
        self.rounds = Counter("arena_rounds", "Rounds played", registry=r)
        self.competitions = Counter("arena_competitions", "Competitions ended, by final state", ["state"], registry=r)
        self.agent_wins = Counter("arena_agent_wins", "Competitions won, by agent name", ["agent"], registry=r)
        self.websockets = Gauge("arena_websocket_connections", "Open websocket connections", registry=r)
        self.subscriptions = Gauge("arena_active_subscriptions", "Open GraphQL subscriptions", registry=r)
        self.subscription_groups = Gauge(
            "arena_subscription_groups",
            "Subscription groups: one execution per event for all their members",
            registry=r,
        )
        self.subscription_group_members = Gauge(
            "arena_subscription_group_members", "Subscriptions served as members of a group", registry=r
        )
        self.query_cache = Counter(
            "arena_query_cache",
            "Queries of stored rows only, by outcome: hit, shared (waited for the same running query) or miss",
            ["outcome"],
            registry=r,
        )
        self.alerts_fired = Counter("arena_alerts_fired", "Alerts fired, by rule kind", ["kind"], registry=r)
        self.alert_deliveries = Counter(
            "arena_alert_deliveries",
            "Alert delivery attempts, by channel and outcome (delivered, retry, failed, given_up)",
            ["channel", "outcome"],
            registry=r,
        )
        self.alert_outbox_pending = Gauge(
            "arena_alert_outbox_pending", "Alert deliveries waiting in the outbox", registry=r
        )
        self.fills_persisted = Counter("arena_fills_persisted", "Fills committed to the database", registry=r)
        started = time.monotonic()
        self.uptime = Gauge("arena_uptime_seconds", "Seconds since the server started", registry=r)
        self.uptime.set_function(lambda: time.monotonic() - started)
        self.feed_messages = Counter(
            "arena_feed_messages", "Messages from a live feed's exchange, by kind", ["exchange", "kind"], registry=r
        )
        self.feed_bad_messages = Counter(
            "arena_feed_bad_messages",
            "Messages from an exchange that were ignored, by kind",
            ["exchange", "kind"],
            registry=r,
        )
        self.feed_reconnects = Counter("arena_feed_reconnects", "Live feed reconnections", ["exchange"], registry=r)
        self.feed_quote_age = Gauge(
            "arena_feed_last_quote_age_seconds", "Seconds since the live feed's last quote (NaN before one)", registry=r
        )
        self.llm_requests = Counter(
            "arena_llm_requests", "Model agents' decisions, by agent and outcome", ["agent", "outcome"], registry=r
        )
        self.llm_latency = Histogram(
            "arena_llm_latency_seconds",
            "How long a model took to answer (or fail)",
            registry=r,
            buckets=(0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0),
        )
        self.llm_tokens = Counter("arena_llm_tokens", "Tokens used by model agents", ["agent", "kind"], registry=r)
        self.request_latency = Histogram(
            "arena_request_duration_seconds",
            "HTTP request latency",
            ["path", "method"],
            registry=r,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )

    # --- a live feed's observer -------------------------------------------------------

    def message(self, exchange: str, kind: str) -> None:
        self.feed_messages.labels(exchange, kind).inc()

    def bad_message(self, exchange: str, kind: str) -> None:
        self.feed_bad_messages.labels(exchange, kind).inc()

    def reconnect(self, exchange: str) -> None:
        self.feed_reconnects.labels(exchange).inc()

    def count_published(self, published_total: Callable[[], float]) -> None:
        """`arena_messages_published_total`, read from pub/sub when scraped."""
        self.registry.register(_PublishedCollector(published_total))

    async def observe(self, events: Sequence[Event]) -> None:
        """A sink: runs after the recorder, so fills counted here are committed."""
        for event in events:
            if isinstance(event, OrderFilled):
                self.fills_persisted.inc()
                self.agent_trades.labels(event.competition_id, event.fill.agent_name).inc()
            elif isinstance(event, RoundCompleted):
                self.rounds.inc()
                for snap in event.leaderboard:
                    key = (event.competition_id, snap.name)
                    self.agent_equity.labels(*key).set(float(snap.equity))
                    self.agent_scars.labels(*key).set(snap.scars)
                    if snap.win_rate is not None:
                        self.agent_win_rate.labels(*key).set(snap.win_rate)
            elif isinstance(event, DecisionRecorded):
                self._count_decision(event.decision)
            elif isinstance(event, CompetitionFinished):
                self.competitions.labels(event.status.value).inc()
                winner = next((s.name for s in event.leaderboard if s.agent_id == event.winner_id), None)
                if winner:
                    self.agent_wins.labels(winner).inc()

    def _count_decision(self, decision: Decision) -> None:
        answer = decision.answer
        self.llm_requests.labels(decision.agent_name, decision.status.value.lower()).inc()
        self.llm_latency.observe(answer.latency_ms / 1000)
        if answer.prompt_tokens:
            self.llm_tokens.labels(decision.agent_name, "prompt").inc(answer.prompt_tokens)
        if answer.completion_tokens:
            self.llm_tokens.labels(decision.agent_name, "completion").inc(answer.completion_tokens)


class _PublishedCollector(Collector):
    def __init__(self, read: Callable[[], float]) -> None:
        self._read = read

    def collect(self):  # type: ignore[no-untyped-def]
        yield CounterMetricFamily(
            "arena_messages_published", "Messages published to pub/sub topics", value=self._read()
        )

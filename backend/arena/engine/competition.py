"""One competition: entrants, accounts, rounds and the state machine. Pure and synchronous.

The runner feeds it quote batches and commands; it returns the events that
happened, in order. It never sleeps, reads the clock or touches I/O, so the
same configuration and the same batches always give the same events.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Final

from arena.agents.base import AccountView, Agent
from arena.agents.llm import LlmAgent
from arena.agents.registry import create_agent
from arena.agents.rounds import RoundQuotes
from arena.agents.spec import BOT_ID_PARAM
from arena.domain.account import Account
from arena.domain.decisions import Decision, DecisionOrder, DecisionRequest, DecisionStatus, ModelAnswer
from arena.domain.events import (
    AgentKind,
    AgentSnapshot,
    AgentStatus,
    CompetitionCreated,
    CompetitionFinished,
    CompetitionStatus,
    DecisionRecorded,
    EntrantInfo,
    Event,
    OrderFilled,
    OrderRejected,
    QuotesReceived,
    RoundCompleted,
    StateChanged,
)
from arena.domain.market import QuoteBatch
from arena.domain.orders import Fill, OrderIntent, Rejection, Side
from arena.domain.values import ZERO, bps, quantize
from arena.engine.config import CompetitionConfig
from arena.engine.decisions import account_facts, orders_for
from arena.engine.matching import Costs, execute
from arena.engine.stats import PerformanceTracker
from arena.errors import ArenaError, ErrorCode

IDLE: Final = CompetitionStatus.IDLE
RUNNING: Final = CompetitionStatus.RUNNING
PAUSED: Final = CompetitionStatus.PAUSED
STOPPED: Final = CompetitionStatus.STOPPED
FINISHED: Final = CompetitionStatus.FINISHED
INTERRUPTED: Final = CompetitionStatus.INTERRUPTED

# allowed transitions: (from, to)
_TRANSITIONS: frozenset[tuple[CompetitionStatus, CompetitionStatus]] = frozenset(
    {
        (IDLE, RUNNING),
        (RUNNING, PAUSED),
        (PAUSED, RUNNING),
        (RUNNING, STOPPED),
        (PAUSED, STOPPED),
        (RUNNING, FINISHED),
        (RUNNING, INTERRUPTED),  # a crash: recorded by the next start, replayed by recovery
        (PAUSED, INTERRUPTED),
        (INTERRUPTED, RUNNING),
        (INTERRUPTED, STOPPED),
    }
)
ACTIVE_STATES = frozenset({RUNNING, PAUSED})
ACTIVE: Final = AgentStatus.ACTIVE
RESTING: Final = AgentStatus.RESTING
_NO_OUTCOMES: list[tuple[object, Fill | Rejection]] = []  # shared and never filled: see take_outcomes
ZERO_MONEY: Final = quantize(ZERO)  # a flat account's unrealized PnL, as `Account.unrealized_pnl` gives it
MODEL_FAILURES_BEFORE_REST: Final = 3  # failed decisions in a row before a model agent rests


def own_feed_id(competition_id: str) -> str:
    """The name of the feed a competition owns (its seeded simulation or replay) in stored ticks."""
    return f"competition:{competition_id}"


@dataclass(slots=True)
class Entrant:
    info: EntrantInfo
    agent: Agent | None  # None for external bots: they order through submit_external
    account: Account
    tracker: PerformanceTracker
    view: AccountView  # the agent's look at `account`, marked at the competition's prices
    status: AgentStatus = AgentStatus.ACTIVE
    rest_until: int = 0
    inbox: deque[tuple[OrderIntent, object]] = field(default_factory=deque)  # (order, caller's ticket)
    answers: deque[ModelAnswer] = field(default_factory=deque)  # a model's answers, executed next round
    model_failures: int = 0  # failed decisions in a row
    # (cash, cash quantized): a flat account's equity, worked out again only when its cash changes
    flat_equity: tuple[Decimal, Decimal] | None = None
    unrealized: Decimal = ZERO_MONEY  # the unrealized PnL of the latest `mark`

    def mark(self, prices: Mapping[str, Decimal]) -> Decimal:
        """The account marked at `prices`: its equity, returned, and its unrealized PnL, kept in
        `unrealized` (`Account.equity` and `Account.unrealized_pnl`, each position valued once;
        no Decimal work at all for a flat account)."""
        account = self.account
        if not account.positions:
            self.unrealized = ZERO_MONEY
            cash = account.cash
            flat = self.flat_equity
            if flat is None or flat[0] is not cash:
                flat = self.flat_equity = (cash, quantize(cash))  # what `equity` gives with no position
            return flat[1]
        value = gain = ZERO  # the same additions, in the same order, as the two methods of Account
        for position in account.positions.values():
            worth = position.quantity * prices[position.symbol]
            value += worth
            gain += worth - position.cost_basis
        self.unrealized = quantize(gain)
        return quantize(account.cash + value)

    def use_account(self, account: Account, prices: dict[str, Decimal]) -> None:
        self.account = account
        self.view = AccountView(account, prices)
        self.flat_equity = None

    @property
    def bot_id(self) -> str | None:
        return self.info.params.get(BOT_ID_PARAM) if self.info.kind is AgentKind.BOT else None


class Competition:
    def __init__(
        self,
        competition_id: str,
        config: CompetitionConfig,
        *,
        symbols: Sequence[str] | None = None,
        feed_id: str | None = None,
    ) -> None:
        """`symbols` overrides config.symbols (a replay feed names its own). `feed_id` names the feed
        it trades (default: its own, `competition:ID`). BOT entrants carry their registered bot id in
        `params["bot_id"]` and order through submit_external."""
        self.id = competition_id
        self.feed_id = feed_id or own_feed_id(competition_id)
        self.config = config
        self.symbols = frozenset(symbols or config.symbols)
        self.symbol_order = tuple(symbols or config.symbols)
        self.costs = Costs(bps(config.fee_bps), bps(config.slippage_bps))
        self.status = IDLE
        self.started_at: datetime | None = None  # when it first ran: the one source of its start time
        self.round = 0
        self.prices: dict[str, Decimal] = {}
        self.last_timestamp: datetime | None = None
        self._seq = 0
        # outcomes of external orders, (ticket, Fill | Rejection), for the runner to hand back
        self.outcomes: list[tuple[object, Fill | Rejection]] = []
        # strategies that raised in a round, (agent id, exception), for the runner to report
        self.agent_failures: list[tuple[str, Exception]] = []
        # decisions model agents want asked, for the runner to hand to the models (see take_decision_requests)
        self.decision_requests: list[DecisionRequest] = []
        self._decision_seq = 0
        self.entrants: dict[str, Entrant] = {}
        for slot, spec in enumerate(config.agents):
            agent_id = f"{competition_id}-{slot}"
            agent = None
            if spec.kind is not AgentKind.BOT:
                # every agent gets its own deterministic seed derived from the competition's
                agent = create_agent(spec.strategy, spec.params, seed=config.seed * 1000 + slot)
            info = EntrantInfo(
                agent_id=agent_id,
                name=spec.name,
                strategy=spec.strategy,
                kind=spec.kind,
                params=dict(agent.params) if agent else dict(spec.params),
                slot=slot,
            )
            account = Account.open(config.starting_cash)
            self.entrants[agent_id] = Entrant(
                info, agent, account, PerformanceTracker(config.starting_cash), AccountView(account, self.prices)
            )
        # the entrants in slot order, and those with a strategy (bots have none): what every round walks
        self._in_order = tuple(self.entrants.values())
        self._deciding = tuple(entrant for entrant in self._in_order if entrant.agent is not None)
        self._order: list[int] = []  # the latest ranking, as indices into `_in_order`

    # --- state machine -------------------------------------------------------------

    def transition(self, to: CompetitionStatus, at: datetime, reason: str = "") -> StateChanged:
        if (self.status, to) not in _TRANSITIONS:
            raise ArenaError(_refusal_code(self.status, to), _refusal_message(self.status, to))
        previous, self.status = self.status, to
        if to is RUNNING and self.started_at is None:
            self.started_at = at
        return StateChanged(self.id, previous, to, self.round, at, reason)

    def leave_running(self, to: CompetitionStatus, at: datetime, reason: str) -> list[Event]:
        """Transition out of RUNNING; queued external orders are rejected, not kept for later."""
        events: list[Event] = [self.transition(to, at, reason)]
        code = ErrorCode.PAUSED if to is PAUSED else ErrorCode.NOT_RUNNING
        for entrant in self.entrants.values():
            while entrant.inbox:
                intent, ticket = entrant.inbox.popleft()
                rejection = Rejection(
                    entrant.info.agent_id, entrant.info.name, intent, code, f"competition is {to.value}", self.round, at
                )
                self.outcomes.append((ticket, rejection))
                events.append(OrderRejected(self.id, rejection))
        return events

    def take_outcomes(self) -> list[tuple[object, Fill | Rejection]]:
        """The outcomes of external orders since the last call, with the tickets they came with."""
        if not self.outcomes:  # most rounds: no bot ordered
            return _NO_OUTCOMES
        outcomes, self.outcomes = self.outcomes, []
        return outcomes

    def entrant_for_bot(self, bot_id: str) -> Entrant | None:
        return next((e for e in self.entrants.values() if e.bot_id == bot_id), None)

    def finish(self, status: CompetitionStatus, at: datetime, reason: str) -> list[Event]:
        events: list[Event] = self.leave_running(status, at, reason)
        for entrant in self.entrants.values():  # answers that came too late to be executed are still recorded
            while entrant.answers:
                answer = entrant.answers.popleft()
                self._decide(
                    entrant, answer if answer.error else replace(answer, late=True), self.last_timestamp or at, events
                )
        board = self.leaderboard()
        winner = board[0].agent_id if board and status is FINISHED else None
        events.append(CompetitionFinished(self.id, status, self.round, at, winner, board))
        return events

    def created_event(self, feed_id: str, feed_kind: str, feed_description: str, at: datetime) -> CompetitionCreated:
        return CompetitionCreated(
            competition_id=self.id,
            name=self.config.name,
            config=self.config.to_dict(),
            feed_id=feed_id,
            feed_kind=feed_kind,
            feed_description=feed_description,
            entrants=tuple(e.info for e in self.entrants.values()),
            starting_cash=self.config.starting_cash,
            at=at,
            leaderboard=self.leaderboard(),
        )

    # --- rebuilding from the record ---------------------------------------------------

    def restore_from_record(
        self,
        *,
        round_: int,
        fills: Iterable[Fill],
        accounts: Mapping[str, Account],
        prices: Mapping[str, Decimal],
        started_at: datetime | None,
        equity: Mapping[str, Sequence[Decimal]] | None = None,
        decisions: int = 0,
    ) -> None:
        """Take over a recorded competition that cannot be replayed (it traded the shared feed).

        Accounts come rebuilt from the ledger; closed trades are re-counted from `fills` (in
        sequence order) by the same rule as in play, so an agent that was resting still rests;
        each agent's recorded `equity`, round by round, gives its drawdown and Sharpe back; the
        agents start their indicators afresh; `decisions` is the last recorded decision's seq. It is
        left INTERRUPTED, ready to resume.
        """
        if self.status is not IDLE:
            raise ArenaError(
                ErrorCode.INVALID_CONFIG, f"only a new competition can be restored, not a {self.status.value} one"
            )
        last_seq = 0
        for fill in sorted(fills, key=lambda f: f.seq):
            entrant = self.entrants.get(fill.agent_id)
            if entrant is None:
                raise ArenaError(ErrorCode.INVALID_CONFIG, f"fill {fill.seq} belongs to no entrant of {self.id}")
            if fill.side is Side.SELL:
                self._closed_trade(entrant, fill.realized_pnl, fill.round)
            last_seq = max(last_seq, fill.seq)
        for agent_id, account in accounts.items():
            self.entrants[agent_id].use_account(account, self.prices)
        for agent_id, series in (equity or {}).items():
            tracker = self.entrants[agent_id].tracker
            for value in series:
                tracker.record_equity(value)
        self.round = round_
        self._seq = last_seq
        self._decision_seq = decisions
        self.prices.update(prices)
        self.started_at = started_at
        self.status = INTERRUPTED

    # --- orders from outside (bots) ---------------------------------------------------

    def submit_external(self, agent_id: str, intent: OrderIntent, ticket: object = None) -> None:
        """Queue a bot order; it executes at the start of the next round (deterministic)."""
        entrant = self.entrants.get(agent_id)
        if entrant is None:
            raise ArenaError(ErrorCode.NOT_FOUND, f"agent {agent_id!r} is not in this competition", "agentId")
        if self.status is not RUNNING:
            code = ErrorCode.PAUSED if self.status is PAUSED else ErrorCode.NOT_RUNNING
            raise ArenaError(code, f"competition is {self.status.value}")
        entrant.inbox.append((intent, ticket))

    # --- a model's answers -------------------------------------------------------------

    def submit_decision(self, answer: ModelAnswer) -> None:
        """Queue a model's answer; it is executed (or recorded as not) at the start of the next round."""
        entrant = self.entrants.get(answer.agent_id)
        if entrant is None or not isinstance(entrant.agent, LlmAgent):
            raise ArenaError(ErrorCode.NOT_FOUND, f"no model agent {answer.agent_id!r} in this competition", "agentId")
        entrant.answers.append(answer)

    def take_decision_requests(self) -> list[DecisionRequest]:
        if not self.decision_requests:
            return []
        requests, self.decision_requests = self.decision_requests, []
        return requests

    def _decide(self, entrant: Entrant, answer: ModelAnswer, at: datetime, events: list[Event]) -> None:
        agent = entrant.agent
        assert isinstance(agent, LlmAgent)
        orders: list[DecisionOrder] = []
        status = answer.status
        if status is DecisionStatus.EXECUTED and entrant.status is AgentStatus.RESTING:
            status = DecisionStatus.RESTING
        elif status is DecisionStatus.EXECUTED:
            entrant.model_failures = 0
            intents = orders_for(answer.actions, entrant.view, agent.params["max_position_fraction"])
            for intent in intents:
                outcome = self._execute(entrant, intent, at, events)
                orders.append(_order_outcome(intent, outcome))
        elif status is DecisionStatus.ERROR:
            entrant.model_failures += 1
            if entrant.model_failures >= MODEL_FAILURES_BEFORE_REST:
                entrant.status = AgentStatus.RESTING
                entrant.rest_until = self.round + 1 + self.config.rest_rounds
                entrant.model_failures = 0
        self._decision_seq += 1
        decision = Decision(
            self.id,
            entrant.info.agent_id,
            entrant.info.name,
            self._decision_seq,
            self.round,
            at,
            answer,
            tuple(orders),
            status,
        )
        events.append(DecisionRecorded(self.id, decision))

    def _ask(self, entrant: Entrant, agent: Agent, at: datetime) -> None:
        assert isinstance(agent, LlmAgent)
        if not agent.decision_due(self.round, at):
            return
        facts = agent.market_facts(self.round, at)
        facts["rules"] = {
            "fee_bps": str(self.config.fee_bps),
            "slippage_bps": str(self.config.slippage_bps),
            "max_position_fraction": agent.params["max_position_fraction"],
            "symbols": list(self.symbol_order),
        }
        facts["account"] = account_facts(entrant.account, self.prices)
        self.decision_requests.append(
            DecisionRequest(self.id, entrant.info.agent_id, self.round, at, agent.decisions_asked, facts)
        )

    # --- rounds ----------------------------------------------------------------------

    def play_round(self, batch: QuoteBatch) -> list[Event]:
        """Run one round on a batch of quotes; returns its events in order."""
        if self.status is not RUNNING:
            raise ArenaError(ErrorCode.NOT_RUNNING, f"competition is {self.status.value}")
        self.round = round_ = self.round + 1
        at = batch.timestamp
        self.last_timestamp = at
        prices, symbols = self.prices, self.symbols
        quotes = RoundQuotes()
        for quote in batch.quotes:
            if quote.symbol in symbols:
                quotes[quote.symbol] = quote
                prices[quote.symbol] = quote.price
        events: list[Event] = [QuotesReceived(self.feed_id, self.id, round_, batch)]
        entrants = self._in_order
        for entrant in entrants:
            while entrant.inbox:
                intent, ticket = entrant.inbox.popleft()
                self.outcomes.append((ticket, self._execute(entrant, intent, at, events)))
            if entrant.status is RESTING and round_ >= entrant.rest_until:
                entrant.status = ACTIVE
            while entrant.answers:
                self._decide(entrant, entrant.answers.popleft(), at, events)
        if quotes:
            for entrant in self._deciding:
                agent = entrant.agent
                assert agent is not None
                # a resting agent still sees prices (its indicators stay current); its orders are dropped
                try:
                    intents = agent.on_round(quotes, entrant.view)
                except Exception as exc:  # a strategy's bug skips its turn; the round stays whole
                    self.agent_failures.append((entrant.info.agent_id, exc))
                    continue
                if entrant.status is RESTING:
                    continue
                if agent.asks_a_model:
                    self._ask(entrant, agent, at)
                for intent in intents:
                    self._execute(entrant, intent, at, events)
        # each entrant marked once: its tracker and the leaderboard share it
        equities = [entrant.mark(prices) for entrant in entrants]
        for entrant, equity in zip(entrants, equities, strict=True):
            entrant.tracker.record_equity(equity)
        events.append(RoundCompleted(self.id, round_, at, self._ranked(equities)))
        return events

    def _execute(self, entrant: Entrant, intent: OrderIntent, at: datetime, events: list[Event]) -> Fill | Rejection:
        try:
            done = execute(entrant.account, intent, self.prices, self.symbols, self.costs)
        except ArenaError as refusal:
            rejection = Rejection(
                entrant.info.agent_id,
                entrant.info.name,
                intent,
                refusal.code,
                refusal.message,
                self.round,
                at,
                refusal.field,
            )
            events.append(OrderRejected(self.id, rejection))
            return rejection
        self._seq += 1
        fill = Fill(
            agent_id=entrant.info.agent_id,
            agent_name=entrant.info.name,
            intent=intent,
            side=done.side,
            quantity=done.quantity,
            price=done.price,
            fee=done.fee,
            realized_pnl=done.realized_pnl,
            round=self.round,
            executed_at=at,
            seq=self._seq,
        )
        if done.side is Side.SELL:
            self._closed_trade(entrant, done.realized_pnl, self.round)
        if entrant.agent is not None:
            entrant.agent.on_fill(fill)
        events.append(OrderFilled(self.id, fill))
        return fill

    def _closed_trade(self, entrant: Entrant, realized_pnl: Decimal, round_: int) -> None:
        """Count a closed trade; a built-in agent on a losing streak rests (and its streak starts over)."""
        entrant.tracker.record_closed_trade(realized_pnl)
        if entrant.tracker.consecutive_losses >= self.config.rest_after_losses and entrant.agent:
            entrant.status = AgentStatus.RESTING
            entrant.rest_until = round_ + 1 + self.config.rest_rounds
            entrant.tracker.consecutive_losses = 0

    # --- standings ---------------------------------------------------------------------

    def snapshot(self, entrant: Entrant, rank: int = 0, equity: Decimal | None = None) -> AgentSnapshot:
        """`equity`, when given, is what `Entrant.mark` gave at the current prices (its unrealized
        PnL goes with it); otherwise the entrant is marked now."""
        account, tracker = entrant.account, entrant.tracker
        if equity is None:
            equity = entrant.mark(self.prices)
        info = entrant.info
        return AgentSnapshot(  # positional: in the field order (a round builds one per agent)
            info.agent_id,
            info.name,
            info.strategy,
            info.kind,
            entrant.status,
            account.cash,
            equity,
            account.realized_pnl,
            entrant.unrealized,
            tracker.return_pct(equity),
            account.trade_count,
            tracker.win_rate,
            tracker.losses,  # the scars
            tracker.max_drawdown,
            tracker.sharpe,
            tracker.profit_factor,
            rank,
        )

    def leaderboard(self) -> tuple[AgentSnapshot, ...]:
        """Ranked by equity, ties broken by entry order."""
        return self._ranked([entrant.mark(self.prices) for entrant in self._in_order])

    def _ranked(self, equities: list[Decimal]) -> tuple[AgentSnapshot, ...]:
        """Snapshots in rank order, built once each with their rank, from the entrants' equities as
        `Entrant.mark` just gave them."""
        entrants = self._in_order
        order = self._order = rank_order(equities, self._order)
        snapshot = self.snapshot
        return tuple([snapshot(entrants[i], rank, equities[i]) for rank, i in enumerate(order, start=1)])


def rank_order(equities: Sequence[Decimal], before: list[int]) -> list[int]:
    """Indices into `equities`, highest first, entry order among equals; `before` (the order of the
    round before) is given back when it still holds: most rounds, one pass and no sort."""
    if len(before) == len(equities):
        for position in range(len(before) - 1):
            above, below = before[position], before[position + 1]
            if equities[above] < equities[below] or (equities[above] == equities[below] and above > below):
                break
        else:
            return before
    # a stable sort keeps entry order among equals (reverse=True keeps it too)
    return sorted(range(len(equities)), key=equities.__getitem__, reverse=True)


def _order_outcome(intent: OrderIntent, outcome: Fill | Rejection) -> DecisionOrder:
    if isinstance(outcome, Fill):
        return DecisionOrder(
            intent.symbol, intent.side, intent.quantity, intent.notional, outcome.seq, outcome.quantity, outcome.price
        )
    return DecisionOrder(
        intent.symbol,
        intent.side,
        intent.quantity,
        intent.notional,
        rejection_code=outcome.code,
        rejection_reason=outcome.reason,
    )


def _refusal_code(current: CompetitionStatus, wanted: CompetitionStatus) -> ErrorCode:
    if wanted is RUNNING and current is RUNNING:
        return ErrorCode.ALREADY_RUNNING
    if wanted is RUNNING:
        return ErrorCode.NOT_PAUSED
    if wanted is PAUSED and current is PAUSED:
        return ErrorCode.PAUSED
    return ErrorCode.NOT_RUNNING


def _refusal_message(current: CompetitionStatus, wanted: CompetitionStatus) -> str:
    return f"cannot go from {current.value} to {wanted.value}"

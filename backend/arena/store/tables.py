"""SQLModel table classes: persisted rows only, no domain logic.

Money, prices and quantities are `DecimalText` (exact TEXT); timestamps are
`UTCDateTime` (aware UTC, stored as integer microseconds). Enum values (status,
side, error code) are stored as their string values.

Every change here is an Alembic revision in `arena/store/migrations/versions`
(tests/store/test_migrations.py fails when the two disagree).

Agent ids are the primary key of `entrant`, so they are unique across all competitions
(the engine names them `<competition id>-<slot>`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import BigInteger, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from arena.store.columns import DecimalText, UTCDateTime


class CompetitionRow(SQLModel, table=True):
    __tablename__ = "competition"
    __table_args__ = (Index("ix_competition_created", "created_at", "id"),)

    id: str = Field(primary_key=True)
    name: str
    status: str = Field(index=True)
    config_json: str  # CompetitionConfig.to_dict() as JSON text
    feed_id: str | None = None  # the feed it traded (None only for competitions recorded before feeds had ids)
    feed_kind: str
    feed_description: str
    starting_cash: Decimal = Field(sa_type=DecimalText)
    created_at: datetime = Field(sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    round: int = 0
    winner_agent_id: str | None = None


class EntrantRow(SQLModel, table=True):
    __tablename__ = "entrant"

    id: str = Field(primary_key=True)  # the agent id
    competition_id: str = Field(foreign_key="competition.id", index=True)
    name: str
    strategy: str
    kind: str
    params_json: str
    slot: int


class FillRow(SQLModel, table=True):
    """One execution. `id` is the global, monotonically increasing trade id."""

    __tablename__ = "fill"
    __table_args__ = (
        UniqueConstraint("competition_id", "seq", name="uq_fill_competition_seq"),
        Index("ix_fill_competition_id", "competition_id", "id"),
        Index("ix_fill_agent_id", "agent_id", "id"),
        Index("ix_fill_symbol_id", "symbol", "id"),
        Index("ix_fill_agent_client_order", "agent_id", "client_order_id"),
        {"sqlite_autoincrement": True},  # trade ids are never reused
    )

    id: int | None = Field(default=None, primary_key=True)
    competition_id: str = Field(foreign_key="competition.id")
    agent_id: str = Field(foreign_key="entrant.id")
    agent_name: str  # the entrant's name, kept with each fill so no read has to look it up
    seq: int  # order of the fill within its competition
    symbol: str
    side: str
    requested_quantity: Decimal | None = Field(default=None, sa_type=DecimalText)  # the order as asked:
    requested_notional: Decimal | None = Field(default=None, sa_type=DecimalText)  # one of the two is set
    quantity: Decimal = Field(sa_type=DecimalText)
    price: Decimal = Field(sa_type=DecimalText)
    fee: Decimal = Field(sa_type=DecimalText)
    realized_pnl: Decimal = Field(sa_type=DecimalText)
    round: int
    executed_at: datetime = Field(sa_type=UTCDateTime)
    client_order_id: str | None = None


class EquityRow(SQLModel, table=True):
    """One agent's standing after a round: a row where it changed, and both ends of every run of
    equal rounds (see `arena.store.recorder`)."""

    __tablename__ = "equity"
    __table_args__ = (Index("ix_equity_competition_round", "competition_id", "round"),)

    agent_id: str = Field(foreign_key="entrant.id", primary_key=True)
    round: int = Field(primary_key=True)
    competition_id: str = Field(foreign_key="competition.id")
    at: datetime = Field(sa_type=UTCDateTime)
    equity: Decimal = Field(sa_type=DecimalText)
    cash: Decimal = Field(sa_type=DecimalText)
    realized_pnl: Decimal = Field(sa_type=DecimalText)
    unrealized_pnl: Decimal = Field(sa_type=DecimalText)
    return_pct: float
    trade_count: int
    win_rate: float | None = None
    scars: int
    max_drawdown: float
    sharpe: float | None = None
    profit_factor: float | None = None
    status: str
    rank: int


class PriceTickRow(SQLModel, table=True):
    """A quote as a feed sent it. `feed_id` keeps feeds apart: the shared market (`sim:42`, ...) and
    each competition's own simulation or replay (`competition:ID`) may use the same symbol names."""

    __tablename__ = "price_tick"
    __table_args__ = (Index("ix_price_tick_feed_symbol_timestamp", "feed_id", "symbol", "timestamp"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: str
    symbol: str
    price: Decimal = Field(sa_type=DecimalText)
    volume: Decimal | None = Field(default=None, sa_type=DecimalText)
    change_pct: float
    timestamp: datetime = Field(sa_type=UTCDateTime)
    competition_id: str | None = Field(default=None, foreign_key="competition.id")
    round: int | None = None


class RejectionRow(SQLModel, table=True):
    __tablename__ = "rejection"

    id: int | None = Field(default=None, primary_key=True)
    competition_id: str = Field(foreign_key="competition.id", index=True)
    agent_id: str
    symbol: str
    side: str
    quantity: Decimal | None = Field(default=None, sa_type=DecimalText)
    notional: Decimal | None = Field(default=None, sa_type=DecimalText)
    client_order_id: str | None = None
    code: str
    reason: str
    round: int
    at: datetime = Field(sa_type=UTCDateTime)


class DecisionRow(SQLModel, table=True):
    """A model agent's decision: what it was asked, what it answered, what came of it."""

    __tablename__ = "decision"
    __table_args__ = (
        UniqueConstraint("competition_id", "seq", name="uq_decision_competition_seq"),
        Index("ix_decision_competition_id", "competition_id", "id"),
        Index("ix_decision_agent_id", "agent_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    competition_id: str = Field(foreign_key="competition.id")
    agent_id: str = Field(foreign_key="entrant.id")
    agent_name: str
    seq: int  # order within its competition
    round: int  # the round it was executed (or recorded as not executed) at
    at: datetime = Field(sa_type=UTCDateTime)  # that round's feed time
    asked_round: int
    asked_at: datetime = Field(sa_type=UTCDateTime)  # wall clock
    answered_at: datetime = Field(sa_type=UTCDateTime)  # wall clock
    latency_ms: int
    model: str
    status: str  # EXECUTED, ERROR or LATE
    prompt: str  # the whole conversation sent (a repair request included)
    response: str | None = None  # the raw text of every answer that came
    actions_json: str  # the parsed actions, as JSON
    orders_json: str  # the orders made and their fills or rejections, as JSON
    error: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    attempts: int = 1


class BotRow(SQLModel, table=True):
    """An external bot: its identity across competitions. Only a hash of its token is kept."""

    __tablename__ = "bot"

    id: str = Field(primary_key=True)
    name: str = Field(index=True)
    token_hash: str = Field(index=True, unique=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class AlertRuleRow(SQLModel, table=True):
    """An operator's alert rule. `secret` signs its webhooks, so it is kept as it is (it must sign);
    it is shown once, at creation, and never returned or logged after."""

    __tablename__ = "alert_rule"

    id: str = Field(primary_key=True)
    kind: str
    symbol: str | None = None
    agent_id: str | None = None  # None: any agent (the agent kinds)
    threshold: Decimal | None = Field(default=None, sa_type=DecimalText)
    percent: float | None = None
    window_seconds: int | None = None
    min_notional: Decimal | None = Field(default=None, sa_type=DecimalText)
    webhook_url: str | None = None
    webhook_format: str = "GENERIC"
    apprise_urls_json: str = "[]"
    cooldown_seconds: int = 0
    secret: str
    created_at: datetime = Field(sa_type=UTCDateTime)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class AlertFiredRow(SQLModel, table=True):
    """An alert that fired, written in the same transaction as the events that fired it."""

    __tablename__ = "alert_fired"
    __table_args__ = (Index("ix_alert_fired_rule", "alert_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    alert_id: str  # no foreign key: a deleted rule's history stays
    kind: str
    message: str
    payload_json: str
    at: datetime = Field(sa_type=UTCDateTime)  # the firing event's time


class AlertDeliveryRow(SQLModel, table=True):
    """The outbox: one row per fired alert and channel, drained by the sender (at least once)."""

    __tablename__ = "alert_delivery"
    __table_args__ = (
        Index("ix_alert_delivery_pending", "status", "next_attempt_at"),
        Index("ix_alert_delivery_rule", "alert_id", "id"),
    )

    id: str = Field(primary_key=True)  # the X-Arena-Delivery id: the same on every retry
    fired_id: int = Field(foreign_key="alert_fired.id")
    alert_id: str
    channel: str  # WEBHOOK or APPRISE
    target: str  # the URL it goes to, as the rule had it when the alert fired (never returned: it may hold a token)
    status: str  # PENDING, DELIVERED or FAILED
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_error: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EngineLeaseRow(SQLModel, table=True):
    """The engine lease's fence (arena.cluster.lease): one row, its generation raised by each engine
    that takes the lease; every batch it writes checks the generation is still its own."""

    __tablename__ = "engine_lease"

    id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    generation: int = Field(sa_type=BigInteger)
    holder: str  # host and process of the engine that raised it last (for people reading the table)
    taken_at: datetime = Field(sa_type=UTCDateTime)

"""Alerts: rules, the alerts they fired, and the delivery outbox.

Revision ID: 0004
Revises: 0003
Created: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from arena.store.columns import DecimalText, UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_rule",
        sa.Column("id", sa.String(), primary_key=True, nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("symbol", sa.String(), nullable=True),
        sa.Column("agent_id", sa.String(), nullable=True),
        sa.Column("threshold", DecimalText(), nullable=True),
        sa.Column("percent", sa.Float(), nullable=True),
        sa.Column("window_seconds", sa.Integer(), nullable=True),
        sa.Column("min_notional", DecimalText(), nullable=True),
        sa.Column("webhook_url", sa.String(), nullable=True),
        sa.Column("webhook_format", sa.String(), nullable=False),
        sa.Column("apprise_urls_json", sa.String(), nullable=False),
        sa.Column("cooldown_seconds", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "alert_fired",
        sa.Column("id", sa.Integer(), primary_key=True, nullable=False),
        sa.Column("alert_id", sa.String(), nullable=False),
        sa.Column("kind", sa.String(), nullable=False),
        sa.Column("message", sa.String(), nullable=False),
        sa.Column("payload_json", sa.String(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_alert_fired_rule", "alert_fired", ["alert_id", "id"])
    op.create_table(
        "alert_delivery",
        sa.Column("id", sa.String(), primary_key=True, nullable=False),
        sa.Column("fired_id", sa.Integer(), sa.ForeignKey("alert_fired.id"), nullable=False),
        sa.Column("alert_id", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("target", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_alert_delivery_pending", "alert_delivery", ["status", "next_attempt_at"])
    op.create_index("ix_alert_delivery_rule", "alert_delivery", ["alert_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_alert_delivery_rule", "alert_delivery")
    op.drop_index("ix_alert_delivery_pending", "alert_delivery")
    op.drop_table("alert_delivery")
    op.drop_index("ix_alert_fired_rule", "alert_fired")
    op.drop_table("alert_fired")
    op.drop_table("alert_rule")

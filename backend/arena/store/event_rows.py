"""Pure mapping from domain events to row dicts for bulk inserts (no I/O)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from arena.domain.decisions import Decision
from arena.domain.events import (
    CompetitionCreated,
    CompetitionStatus,
)
from arena.domain.orders import Fill, Rejection

Row = dict[str, Any]


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def to_json(value: Any) -> str:
    """Deterministic JSON text (sorted keys; Decimals as strings)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def competition_row(event: CompetitionCreated) -> Row:
    return {
        "id": event.competition_id,
        "name": event.name,
        "status": CompetitionStatus.IDLE.value,
        "config_json": to_json(event.config),
        "feed_id": event.feed_id,
        "feed_kind": event.feed_kind,
        "feed_description": event.feed_description,
        "starting_cash": event.starting_cash,
        "created_at": event.at,
        "started_at": None,
        "ended_at": None,
        "round": 0,
        "winner_agent_id": None,
    }


def entrant_rows(event: CompetitionCreated) -> list[Row]:
    return [
        {
            "id": entrant.agent_id,
            "competition_id": event.competition_id,
            "name": entrant.name,
            "strategy": entrant.strategy,
            "kind": entrant.kind.value,
            "params_json": to_json(entrant.params),
            "slot": entrant.slot,
        }
        for entrant in event.entrants
    ]


def fill_row(competition_id: str, fill: Fill) -> Row:
    return {
        "competition_id": competition_id,
        "agent_id": fill.agent_id,
        "agent_name": fill.agent_name,
        "seq": fill.seq,
        "symbol": fill.symbol,
        "side": fill.side.value,
        "requested_quantity": fill.intent.quantity,
        "requested_notional": fill.intent.notional,
        "quantity": fill.quantity,
        "price": fill.price,
        "fee": fill.fee,
        "realized_pnl": fill.realized_pnl,
        "round": fill.round,
        "executed_at": fill.executed_at,
        "client_order_id": fill.client_order_id,
    }


def decision_row(decision: Decision) -> Row:
    answer = decision.answer
    return {
        "competition_id": decision.competition_id,
        "agent_id": decision.agent_id,
        "agent_name": decision.agent_name,
        "seq": decision.seq,
        "round": decision.round,
        "at": decision.at,
        "asked_round": answer.asked_round,
        "asked_at": answer.asked_at,
        "answered_at": answer.answered_at,
        "latency_ms": answer.latency_ms,
        "model": answer.model,
        "status": decision.status.value,
        "prompt": answer.prompt,
        "response": answer.response,
        "actions_json": to_json([a.to_dict() for a in answer.actions]),
        "orders_json": to_json([o.to_dict() for o in decision.orders]),
        "error": answer.error,
        "prompt_tokens": answer.prompt_tokens,
        "completion_tokens": answer.completion_tokens,
        "attempts": answer.attempts,
    }


def rejection_row(competition_id: str, rejection: Rejection) -> Row:
    intent = rejection.intent
    return {
        "competition_id": competition_id,
        "agent_id": rejection.agent_id,
        "symbol": intent.symbol,
        "side": intent.side.value,
        "quantity": intent.quantity,
        "notional": intent.notional,
        "client_order_id": intent.client_order_id,
        "code": rejection.code.value,
        "reason": rejection.reason,
        "round": rejection.round,
        "at": rejection.at,
    }

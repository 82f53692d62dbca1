"""The prompt a model decides from, written from the engine's facts (`DecisionRequest.facts`).

Plain text in two messages: the rules and the answer's shape (system), then the market and the
account (user). Numbers are written as the arena holds them (prices exact, indicators rounded).
"""

from __future__ import annotations

import json
from typing import Any

ANSWER_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "decisions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "symbol": {"type": "string"},
                    "action": {"type": "string", "enum": ["BUY", "SELL", "HOLD"]},
                    "fraction": {"type": "number", "minimum": 0, "maximum": 1},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                    "reasoning": {"type": "string"},
                },
                "required": ["symbol", "action", "fraction", "confidence", "reasoning"],
                "additionalProperties": False,
            },
        }
    },
    "required": ["decisions"],
    "additionalProperties": False,
}

EXAMPLE = {
    "decisions": [
        {"symbol": "BTC-USD", "action": "BUY", "fraction": 0.2, "confidence": 0.7, "reasoning": "uptrend, RSI 58"}
    ]
}


def system_message(facts: dict[str, Any]) -> str:
    rules = facts["rules"]
    return "\n".join(
        [
            "You are a trading agent in a paper-trading competition. You trade spot only: long or flat,",
            "no shorting, no leverage. Every agent starts with the same cash; the highest equity wins.",
            f"Each order pays a fee of {rules['fee_bps']} bps and slippage of {rules['slippage_bps']} bps.",
            "Your orders fill at the NEXT round's price, not the price you see now.",
            f"No symbol may take more than {rules['max_position_fraction']:.0%} of your equity.",
            f"Symbols you may trade: {', '.join(rules['symbols'])}.",
            "",
            "Answer with JSON only, nothing else, in exactly this shape:",
            json.dumps(EXAMPLE),
            "- action: BUY, SELL or HOLD.",
            "- fraction (0..1): for BUY, the share of your equity to spend; for SELL, the share of",
            "  your position to sell (1 sells it all); for HOLD, 0.",
            "- confidence (0..1) and a short reasoning for each symbol you decide on.",
            "- A symbol you leave out is HOLD.",
        ]
    )


def user_message(facts: dict[str, Any]) -> str:
    account = facts["account"]
    lines = [
        f"Decision {facts['decision']} at round {facts['round']} ({facts['at']}), "
        f"{_duration(facts['elapsed_s'])} after the first price.",
        "",
        "Market:",
    ]
    for s in facts["symbols"]:
        change = "n/a" if s["change_pct"] is None else f"{s['change_pct']:+.2f}%"
        indicators = ", ".join(
            f"{name} {_number(s[key])}"
            for name, key in (("SMA10", "sma_10"), ("SMA30", "sma_30"), ("EMA12", "ema_12"), ("RSI14", "rsi_14"))
        )
        lines.append(f"- {s['symbol']}: last {s['price']}, change {change}; {indicators}")
        lines.append(f"  recent closes, oldest first: {', '.join(s['closes'])}")
    lines += [
        "",
        "Your account:",
        f"- cash {account['cash']}, equity {account['equity']} "
        f"(started with {account['starting_cash']}, return {account['return_pct']:+.2f}%)",
    ]
    if not account["positions"]:
        lines.append("- no positions")
    for p in account["positions"]:
        pnl = "n/a" if p["unrealized_pnl"] is None else p["unrealized_pnl"]
        lines.append(
            f"- {p['symbol']}: {p['quantity']} at an average entry of {p['average_entry']}, unrealized PnL {pnl}"
        )
    lines += ["", "Decide now. JSON only."]
    return "\n".join(lines)


def messages(facts: dict[str, Any]) -> list[dict[str, str]]:
    return [{"role": "system", "content": system_message(facts)}, {"role": "user", "content": user_message(facts)}]


def as_text(chat: list[dict[str, str]]) -> str:
    """The whole conversation, as it is stored with the decision."""
    return "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in chat)


def repair_message(problem: str) -> str:
    return (
        f"That answer could not be used: {problem}. Answer again with JSON only, exactly in the shape "
        f"{json.dumps(EXAMPLE)}, with only the symbols you may trade."
    )


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:g}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"

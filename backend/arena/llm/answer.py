"""Reading a model's answer against the contract:
`{"decisions":[{"symbol","action","fraction","confidence","reasoning"}]}`. Extra keys are ignored,
missing symbols mean HOLD; anything else wrong is an `InvalidAnswer` saying what."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection
from typing import Any

from arena.domain.decisions import Action, SymbolAction

_FENCE = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL | re.IGNORECASE)
MAX_REASONING = 2000


class InvalidAnswer(ValueError):
    """The answer is not the JSON the contract asks for; the message says what is wrong."""


def parse_answer(text: str | None, symbols: Collection[str]) -> tuple[SymbolAction, ...]:
    if not text or not text.strip():
        raise InvalidAnswer("the answer was empty")
    fenced = _FENCE.match(text)  # many models wrap JSON in a code fence even when told not to
    body = fenced.group(1) if fenced else text
    try:
        data = json.loads(body, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than Python's stack
        raise InvalidAnswer(f"not JSON ({str(exc)[:100]})") from None
    if not isinstance(data, dict) or not isinstance(data.get("decisions"), list):
        raise InvalidAnswer('expected an object with a "decisions" list')
    actions: dict[str, SymbolAction] = {}
    for index, item in enumerate(data["decisions"]):
        action = _action(item, index, symbols)
        if action.symbol in actions:
            raise InvalidAnswer(f"{action.symbol} is decided twice")
        actions[action.symbol] = action
    return tuple(actions[s] for s in sorted(actions))


def _action(item: Any, index: int, symbols: Collection[str]) -> SymbolAction:
    where = f"decisions[{index}]"
    if not isinstance(item, dict):
        raise InvalidAnswer(f"{where} is not an object")
    symbol = item.get("symbol")
    if not isinstance(symbol, str) or symbol not in symbols:
        raise InvalidAnswer(f"{where}.symbol {_echo(symbol)} is not one of {', '.join(sorted(symbols))}")
    raw_action = item.get("action")
    try:
        action = Action(raw_action.upper()) if isinstance(raw_action, str) else None
    except ValueError:
        action = None
    if action is None:
        raise InvalidAnswer(f"{where}.action {_echo(raw_action)} is not BUY, SELL or HOLD")
    fraction = _unit(item.get("fraction"), f"{where}.fraction", required=action is not Action.HOLD)
    confidence = _unit(item.get("confidence"), f"{where}.confidence", required=False)
    reasoning = item.get("reasoning", "")
    if not isinstance(reasoning, str):
        raise InvalidAnswer(f"{where}.reasoning is not a string")
    if action is not Action.HOLD and not fraction:
        action = Action.HOLD  # "buy none of it" is a hold
    return SymbolAction(symbol, action, fraction or 0.0, confidence, reasoning.strip()[:MAX_REASONING])


def _unit(value: Any, where: str, *, required: bool) -> float | None:
    if value is None:
        if required:
            raise InvalidAnswer(f"{where} is missing")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InvalidAnswer(f"{where} {_echo(value)} is not a number")
    if not 0 <= value <= 1:
        raise InvalidAnswer(f"{where} {_echo(value)} is not between 0 and 1")
    return float(value)


def _echo(value: Any) -> str:
    """A value of the answer, repeated in an error: at most 40 characters of it."""
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")

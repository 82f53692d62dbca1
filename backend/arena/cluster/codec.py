"""Domain events as JSON for the broker, and back: the same dataclasses come out that went in.

Tagged, so decoding needs no type hints: a dataclass is `{"_": name, "v": [fields in order]}`, a
Decimal `{"d": "1.50"}` (its exact text), a datetime `{"t": microseconds since the epoch}`, an
enum `{"e": name, "v": value}`, a tuple `{"u": [...]}`, a dict `{"m": {...}}`; lists are lists.
Only the types registered here are decoded: a message names a type, it never picks code to run.
"""

from __future__ import annotations

import dataclasses
import enum
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from arena.alerts import rules, service, webhooks
from arena.domain import decisions, events, market, orders
from arena.errors import ErrorCode
from arena.store.columns import from_micros, to_micros

_MODULES = (
    events,
    market,
    orders,
    decisions,
    rules,
    webhooks,
    service,
)  # the events, and the alert rules commands carry
_DATACLASSES: dict[str, type[Any]] = {
    cls.__name__: cls
    for module in _MODULES
    for cls in vars(module).values()
    if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__
}
_ENUMS: dict[str, type[enum.Enum]] = {
    cls.__name__: cls
    for module in _MODULES
    for cls in vars(module).values()
    if isinstance(cls, type) and issubclass(cls, enum.Enum) and cls.__module__ == module.__name__
}
_ENUMS[ErrorCode.__name__] = ErrorCode
_FIELDS: dict[type[Any], tuple[str, ...]] = {
    cls: tuple(f.name for f in dataclasses.fields(cls)) for cls in _DATACLASSES.values()
}


class CodecError(ValueError):
    """A message that is not an encoding of our events."""


def dumps(value: Any) -> bytes:
    return json.dumps(encode(value), separators=(",", ":")).encode()


def loads(raw: bytes | str) -> Any:
    try:
        return decode(json.loads(raw))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise CodecError(f"not an arena event message: {exc}") from exc


def encode(value: Any) -> Any:
    if value is None or (isinstance(value, (str, bool, int, float)) and not isinstance(value, enum.Enum)):
        return value
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, datetime):
        return {"t": to_micros(value)}
    if isinstance(value, enum.Enum):
        return {"e": type(value).__name__, "v": value.value}
    if isinstance(value, tuple):
        return {"u": [encode(item) for item in value]}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, dict):
        return {"m": {str(key): encode(item) for key, item in value.items()}}
    fields = _FIELDS.get(type(value))
    if fields is None:
        raise TypeError(f"cannot encode {type(value).__name__} for the broker")
    return {"_": type(value).__name__, "v": [encode(getattr(value, name)) for name in fields]}


def decode(data: Any) -> Any:
    if data is None or isinstance(data, (str, bool, int, float)):
        return data
    if isinstance(data, list):
        return [decode(item) for item in data]
    if not isinstance(data, dict):
        raise CodecError(f"unexpected {type(data).__name__}")
    if "d" in data:
        return Decimal(data["d"])
    if "t" in data:
        return from_micros(int(data["t"]))
    if "e" in data:
        return _ENUMS[data["e"]](data["v"])
    if "u" in data:
        return tuple(decode(item) for item in data["u"])
    if "m" in data:
        return {key: decode(item) for key, item in data["m"].items()}
    cls = _DATACLASSES[data["_"]]
    return cls(*(decode(item) for item in data["v"]))

"""Global object IDs: base64 of `Type:raw-id`, as Relay expects."""

from __future__ import annotations

import base64
import binascii

from arena.errors import ArenaError, ErrorCode


def to_global_id(type_name: str, raw_id: str | int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{raw_id}".encode()).decode().rstrip("=")


def from_global_id(global_id: str, expected: str | None = None) -> tuple[str, str]:
    """Returns (type, raw id); a malformed or wrong-typed id raises INVALID_INPUT."""
    try:
        padded = global_id + "=" * (-len(global_id) % 4)
        type_name, _, raw = base64.urlsafe_b64decode(padded.encode()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ArenaError(ErrorCode.INVALID_INPUT, f"malformed id {global_id!r}", "id") from None
    if not type_name or not raw:
        raise ArenaError(ErrorCode.INVALID_INPUT, f"malformed id {global_id!r}", "id")
    if expected is not None and type_name != expected:
        raise ArenaError(ErrorCode.INVALID_INPUT, f"id {global_id!r} is a {type_name}, not a {expected}", "id")
    return type_name, raw


MAX_ROW_ID = 2**63 - 1  # SQLite's INTEGER range


def encode_cursor(value: int) -> str:
    return to_global_id("cursor", value)


def decode_cursor(cursor: str) -> int:
    _, raw = from_global_id(cursor, "cursor")
    if not (raw.isascii() and raw.isdigit()) or int(raw) >= MAX_ROW_ID:
        raise ArenaError(ErrorCode.INVALID_INPUT, f"malformed cursor {cursor!r}", "cursor")
    return int(raw)

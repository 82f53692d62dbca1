"""A subscription result as the protocols' text frames: the payload encoded once, wrapped per
member in its protocol's envelope, byte for byte what Strawberry's handlers would have sent."""

from __future__ import annotations

import json
from typing import Any

from strawberry.types.execution import ExecutionResult

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


def payload_of(result: ExecutionResult) -> dict[str, Any]:
    """As `Operation.send_next` / `send_data_message` build it: data, then errors, then extensions."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return payload


def envelope(protocol: str, operation_id: str) -> str:
    """The frame's text before the payload (the frame is envelope + payload + "}")."""
    quoted = json.dumps(operation_id)
    if protocol == TRANSPORT_WS:
        return '{"id":' + quoted + ',"type":"next","payload":'
    return '{"type":"data","id":' + quoted + ',"payload":'

"""Websocket protocol handlers whose error messages always carry `extensions.code`."""

from __future__ import annotations

from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from arena.api.limits import has_lone_surrogate
from arena.errors import ErrorCode

LIMIT_MESSAGE = "Subscription limit reached"


def with_codes(message: Any) -> Any:
    if not isinstance(message, dict) or message.get("type") != "error":
        return message
    payload = message.get("payload")
    errors = payload if isinstance(payload, list) else [payload]
    for error in errors:
        if isinstance(error, dict):
            extensions = error.setdefault("extensions", {}) or {}
            error["extensions"] = extensions
            if "code" not in extensions:
                limited = error.get("message") == LIMIT_MESSAGE
                extensions["code"] = (ErrorCode.TOO_MANY_SUBSCRIPTIONS if limited else ErrorCode.BAD_REQUEST).value
    return message


class _CodedMessages:
    """Refuses frames that are not JSON objects with a type (strawberry would crash on them) and
    gives every error message a code."""

    websocket: Any

    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.websocket.close(code=4400, reason="a message must be a JSON object with a type")
            return
        if has_lone_surrogate(message):
            await self.websocket.close(code=4400, reason="text must be valid Unicode")
            return
        await super().handle_message(message)  # type: ignore[misc]

    async def send_message(self, message: Any) -> None:
        await super().send_message(with_codes(message))  # type: ignore[misc]


class TransportWSHandler(_CodedMessages, BaseGraphQLTransportWSHandler):
    pass


class LegacyWSHandler(_CodedMessages, BaseGraphQLWSHandler):
    pass

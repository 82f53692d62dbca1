"""Websocket protocol handlers whose error messages always carry `extensions.code`."""

from __future__ import annotations

from typing import Any

from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

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
                extensions["code"] = "TOO_MANY_SUBSCRIPTIONS" if error.get("message") == LIMIT_MESSAGE else "BAD_REQUEST"
    return message


class TransportWSHandler(BaseGraphQLTransportWSHandler):
    async def handle_message(self, message: Any) -> None:
        # strawberry assumes a JSON object here; an array or a number would crash the connection
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.websocket.close(code=4400, reason="a message must be a JSON object with a type")
            return
        await super().handle_message(message)

    async def send_message(self, message: Any) -> None:
        await super().send_message(with_codes(message))


class LegacyWSHandler(BaseGraphQLWSHandler):
    async def handle_message(self, message: Any) -> None:
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self.websocket.close(code=4400, reason="a message must be a JSON object with a type")
            return
        await super().handle_message(message)

    async def send_message(self, message: Any) -> None:
        await super().send_message(with_codes(message))

"""Websocket protocol handlers whose error messages always carry `extensions.code`."""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler

from arena.api.limits import MAX_TOKENS, has_lone_surrogate
from arena.errors import ErrorCode

logger = logging.getLogger(__name__)

LIMIT_MESSAGE = "Subscription limit reached"
USE_HTTP_MESSAGE = (
    "the graphql-ws protocol streams subscriptions only: send queries and mutations with POST /graphql "
    "(or over graphql-transport-ws)"
)


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
    """subscriptions-transport-ws clients send queries and mutations over the socket too; Strawberry
    runs only subscriptions there (and fails the others as an internal error): refuse them, coded."""

    async def handle_message(self, message: Any) -> None:
        if isinstance(message, dict) and message.get("type") == "start" and _is_not_subscription(message):
            logger.info("refused a query or mutation over graphql-ws [%s]", ErrorCode.USE_HTTP.value)
            await self.send_message(
                {
                    "type": "error",
                    "id": message.get("id"),
                    "payload": {"message": USE_HTTP_MESSAGE, "extensions": {"code": ErrorCode.USE_HTTP.value}},
                }
            )
            return
        await super().handle_message(message)


def _is_not_subscription(message: dict[str, Any]) -> bool:
    """True for a `start` whose chosen operation is a query or a mutation; anything unreadable is
    left to the usual handling (it answers with a coded BAD_REQUEST)."""
    payload = message.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return False
    try:
        document = parse(payload["query"], max_tokens=MAX_TOKENS)  # the schema's own limit: no big parse here
    except GraphQLError:
        return False
    wanted = payload.get("operationName")
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if wanted is None or (o.name is not None and o.name.value == wanted)]
    return len(chosen) == 1 and chosen[0].operation is not OperationType.SUBSCRIPTION

"""Websocket protocol handlers whose error messages always carry `extensions.code`, and whose
subscriptions join a group when they can (`arena.api.fanout`): the member's own run checks its
access and sends its first snapshot exactly as a lone subscription would, then the group's frames
follow from the member's buffer."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.websockets import WebSocketDisconnect
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_ws.handlers import BaseGraphQLWSHandler
from strawberry.types.execution import PreExecutionError
from strawberry.utils.aio import aclosing

from arena.api.context import Context
from arena.api.fanout.frames import LEGACY_WS, TRANSPORT_WS
from arena.api.fanout.groups import FanoutHub, Member
from arena.api.fanout.keys import GroupKey, group_key
from arena.api.fanout.phase import Joining
from arena.api.limits import MAX_TOKENS, has_lone_surrogate
from arena.api.streams import close_slow_websocket
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


class _Grouping:
    """What both protocols' handlers share to run a subscription as a group member."""

    view: Any
    websocket: Any
    context: Any  # our Context (the base handlers type it generically)
    protocol: str

    def _group_for(self, query: Any, operation_name: Any, variables: Any) -> tuple[FanoutHub, GroupKey] | None:
        hub: FanoutHub | None = self.context.state.fanout
        if hub is None or not hub.enabled:
            return None
        key = group_key(query, operation_name, variables)
        return None if key is None else (hub, key)

    def _member(self, hub: FanoutHub, key: GroupKey, operation_id: str) -> tuple[Member, Context]:
        websocket = self.websocket.ws  # the Starlette WebSocket
        member = Member(
            self.protocol, operation_id, hub.state.settings.subscriber_queue, lambda: close_slow_websocket(websocket)
        )
        context: Context = self.context
        joining = Joining(join=lambda topic: hub.join(member, key, topic), snapshot_sent=member.snapshot_sent)
        return member, context.in_phase(joining)

    async def _follow_group(self, member: Member) -> bool:
        """After the member's snapshot: its group's frames until the group ends (True) or the member
        overflowed and its socket is being closed (False). A member whose snapshot ended in an error
        follows nothing: alone, the error ends its stream."""
        if member.joined and member.snapshot_complete:
            try:
                await member.send_all(self.websocket.ws.send_text)
            except (WebSocketDisconnect, RuntimeError, OSError):  # the socket closed under it: nothing to send to
                return False
        return not member.overflowed


class TransportWSHandler(_CodedMessages, _Grouping, BaseGraphQLTransportWSHandler):
    protocol = TRANSPORT_WS

    async def run_operation(self, operation: Operation[Any, Any]) -> None:
        grouped = self._group_for(operation.query, operation.operation_name, operation.variables)
        if grouped is None:
            await super().run_operation(operation)
            return
        hub, key = grouped
        member, context = self._member(hub, key, operation.id)
        try:
            source = await self.schema.stream(
                operation.query,
                variable_values=operation.variables,
                context_value=context,
                root_value=self.root_value,
                operation_name=operation.operation_name,
            )
            async with aclosing(source):
                await self._send_result_stream(operation, source)  # the snapshot, or an error, as alone
            if await self._follow_group(member):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except _OperationStreamClosed:
            return
        except Exception as error:
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.operations.pop(operation.id, None)
            raise
        finally:
            hub.leave(member)


class LegacyWSHandler(_CodedMessages, _Grouping, BaseGraphQLWSHandler):
    """subscriptions-transport-ws clients send queries and mutations over the socket too; Strawberry
    runs only subscriptions there (and fails the others as an internal error): refuse them, coded."""

    protocol = LEGACY_WS

    async def handle_async_results(
        self, operation_id: str, query: str, operation_name: str | None, variables: dict[str, object] | None
    ) -> None:
        grouped = self._group_for(query, operation_name, variables)
        if grouped is None:
            await super().handle_async_results(operation_id, query, operation_name, variables)
            return
        hub, key = grouped
        member, context = self._member(hub, key, operation_id)
        try:
            source = await self.schema.subscribe(
                query=query,
                variable_values=variables,
                operation_name=operation_name,
                context_value=context,
                root_value=self.root_value,
            )
            self.subscriptions[operation_id] = source
            first = True
            async for result in source:  # the snapshot, or an error, as alone
                if first and isinstance(result, PreExecutionError):
                    assert result.errors
                    await self.send_message(
                        {"type": "error", "id": operation_id, "payload": result.errors[0].formatted}
                    )
                    return
                await self.send_data_message(result, operation_id)
                first = False
            if await self._follow_group(member):
                await self.send_message({"type": "complete", "id": operation_id})
        except asyncio.CancelledError:
            await self.send_message({"type": "complete", "id": operation_id})
        finally:
            hub.leave(member)
            self.subscriptions.pop(operation_id, None)
            self.tasks.pop(operation_id, None)

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

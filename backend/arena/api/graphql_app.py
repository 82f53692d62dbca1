"""The GraphQL endpoint: Strawberry's ASGI app with our context, coded errors and websocket handlers."""

from __future__ import annotations

from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from arena.api.context import AppState, Context
from arena.api.errors import coded
from arena.api.limits import send_json_error
from arena.api.media_type import GRAPHQL_RESPONSE_JSON, as_graphql_response, wants_graphql_response_json
from arena.api.schema import schema
from arena.api.ws_handlers import LegacyWSHandler, TransportWSHandler
from arena.errors import ErrorCode


class ArenaGraphQL(GraphQL):
    graphql_transport_ws_handler_class = TransportWSHandler
    graphql_ws_handler_class = LegacyWSHandler

    def __init__(self, state: AppState, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.state = state

    async def get_context(self, request: Request | WebSocket, response: Any = None) -> Context:  # type: ignore[override]
        return Context(state=self.state, request=request)

    async def process_result(self, request: Request, result: Any) -> Any:
        # parse errors skip the schema extensions; give them their code here
        if result.errors:
            result.errors = [coded(e) for e in result.errors]
        return await super().process_result(request, result)

    async def on_ws_connect(self, context: Context) -> Any:  # type: ignore[override]
        params = context.connection_params
        if params is not None and not isinstance(params, dict):
            return {"error": "connectionParams must be an object"}
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope, receive=receive)
            typed = wants_graphql_response_json(request.headers.get("accept"))
            try:
                response = await self.run(request)
            except HTTPException as exc:  # malformed JSON, no query, wrong method: still a GraphQL-shaped error
                media_type = GRAPHQL_RESPONSE_JSON if typed else "application/json"
                await send_json_error(send, exc.status_code, exc.reason, ErrorCode.BAD_REQUEST, media_type)
                return
            if typed:
                response = as_graphql_response(response)
            await response(scope, receive, send)
            return
        if scope["type"] != "websocket":
            await super().__call__(scope, receive, send)
            return
        gauge = self.state.metrics.websockets
        gauge.inc()
        try:
            await super().__call__(scope, receive, send)
        finally:
            gauge.dec()

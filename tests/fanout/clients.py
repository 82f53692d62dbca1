"""A websocket client of either GraphQL protocol that keeps every frame as the server sent it
(raw text, per operation id), for comparing what two paths sent byte for byte."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from typing import Any

import websockets

from tests.builders import wait_on

TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


class RawClient:
    def __init__(self, address: str, protocol: str, token: str | None = None) -> None:
        self.url = f"ws://{address}/graphql"
        self.protocol = protocol
        self.token = token
        self.frames: dict[str, list[str]] = defaultdict(list)  # operation id -> its next/data/error frames
        self.completed: set[str] = set()
        self.close_code: int | None = None
        self._socket: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()

    async def __aenter__(self) -> RawClient:
        self._socket = await websockets.connect(self.url, subprotocols=[self.protocol], compression=None)
        payload = {"authToken": self.token} if self.token else {}
        await self._socket.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await asyncio.wait_for(self._socket.recv(), 10))
        assert ack["type"] == "connection_ack", ack
        self._reader = asyncio.create_task(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._reader is not None:
            self._reader.cancel()
        await self._socket.close()

    async def subscribe(self, operation_id: str, query: str, variables: dict | None = None) -> None:
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        await self._socket.send(json.dumps({"id": operation_id, "type": kind, "payload": payload}))

    async def stop(self, operation_id: str) -> None:
        kind = "complete" if self.protocol == TRANSPORT_WS else "stop"
        await self._socket.send(json.dumps({"id": operation_id, "type": kind}))

    async def wait_for(self, condition: Any, timeout: float = 15.0, what: str = "") -> None:
        await wait_on(self._changed, condition, timeout, what)

    def data(self, operation_id: str) -> list[Any]:
        return [json.loads(f)["payload"] for f in self.frames[operation_id]]

    async def _read(self) -> None:
        try:
            async for raw in self._socket:
                message = json.loads(raw)
                kind, operation_id = message.get("type"), message.get("id")
                if kind in ("next", "data", "error") and operation_id is not None:
                    self.frames[operation_id].append(raw)
                elif kind == "complete":
                    self.completed.add(operation_id)
                self._changed.set()
        except websockets.ConnectionClosed as closed:
            self.close_code = closed.rcvd.code if closed.rcvd else None
        finally:
            if self.close_code is None and self._socket.close_code is not None:
                self.close_code = self._socket.close_code
            self._changed.set()

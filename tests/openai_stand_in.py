"""A local OpenAI-compatible chat server for tests: a real HTTP server (Starlette + uvicorn, in its
own thread) answering `POST /v1/chat/completions` from a script.

`script(*replies)` queues what the next requests get, in order (`answer(...)`, `text(...)`,
`status(...)`, `slow(...)`); once the queue is empty every request gets `default(request)`: by
default a valid answer that buys the first symbol it may trade on odd requests and sells it all on
even ones. Every request is kept (`requests`: body, headers), so a test can wait for them, read
the prompts, and check the key it was sent.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from arena.testing.server import free_port

_SYMBOLS = re.compile(r"Symbols you may trade: ([^\n]+)\.")


@dataclass(frozen=True)
class Reply:
    content: str | None = None  # the assistant's text
    status: int = 200
    error: str = ""
    delay: float = 0.0
    usage: tuple[int, int] = (120, 30)
    trickle: float = 0.0  # seconds between the bytes of the answer: a server that never quite stops


def answer(*decisions: dict[str, Any], **extra: Any) -> Reply:
    return Reply(json.dumps({"decisions": list(decisions), **extra}))


def decision(symbol: str, action: str, fraction: float, confidence: float = 0.7, reasoning: str = "") -> dict:
    return {
        "symbol": symbol,
        "action": action,
        "fraction": fraction,
        "confidence": confidence,
        "reasoning": reasoning or f"{action.lower()} {symbol}",
    }


def text(content: str) -> Reply:
    return Reply(content)


def status(code: int, message: str = "") -> Reply:
    return Reply(status=code, error=message or f"stand-in says {code}")


def slow(seconds: float, reply: Reply | None = None) -> Reply:
    base = reply or Reply()
    return Reply(base.content, base.status, base.error, seconds, base.usage)


def trickle(seconds_per_byte: float, reply: Reply) -> Reply:
    return Reply(reply.content, reply.status, reply.error, reply.delay, reply.usage, seconds_per_byte)


def symbols_of(body: dict[str, Any]) -> list[str]:
    """The symbols the prompt says may be traded."""
    system = next((m["content"] for m in body.get("messages", []) if m.get("role") == "system"), "")
    found = _SYMBOLS.search(system)
    return [s.strip() for s in found.group(1).split(",")] if found else []


def alternate(body: dict[str, Any], number: int) -> Reply:
    """Buy a fifth of equity of the first symbol, then sell it all, and so on."""
    symbol = symbols_of(body)[0]
    if number % 2:
        return answer(decision(symbol, "BUY", 0.2, reasoning=f"request {number}: trend looks up"))
    return answer(decision(symbol, "SELL", 1.0, reasoning=f"request {number}: take profit"))


@dataclass
class OpenAIStandIn:
    port: int = field(default_factory=free_port)
    default: Callable[[dict[str, Any], int], Reply] = alternate
    refuse_structured: bool = False  # answer 400 to requests with response_format, as some servers do
    requests: list[dict[str, Any]] = field(default_factory=list)  # {"body": ..., "headers": ...}
    answered: int = 0  # requests answered (with anything)
    in_flight: int = 0
    max_in_flight: int = 0  # the most requests it was answering at once
    _script: deque[Reply] = field(default_factory=deque)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _server: uvicorn.Server | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, timeout: float = 10.0) -> OpenAIStandIn:
        app = Starlette(routes=[Route("/v1/chat/completions", self._complete, methods=["POST"])])
        self._server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off")
        )
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the OpenAI stand-in did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)

    def script(self, *replies: Reply) -> None:
        with self._changed:
            self._script.extend(replies)

    @property
    def count(self) -> int:
        with self._changed:
            return len(self.requests)

    def wait_for_requests(self, count: int, timeout: float = 20.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"the OpenAI stand-in saw {len(self.requests)} of {count} requests")
                self._changed.wait(left)
            return list(self.requests)

    async def _complete(self, request: Request) -> Response:
        body = await request.json()
        with self._changed:
            self.requests.append({"body": body, "headers": dict(request.headers)})
            number = len(self.requests)
            reply = self._script.popleft() if self._script else None
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._changed.notify_all()
        try:
            return await self._reply(body, number, reply)
        finally:
            with self._changed:
                self.in_flight -= 1
                self.answered += 1
                self._changed.notify_all()

    async def _reply(self, body: dict[str, Any], number: int, reply: Reply | None) -> Response:
        if self.refuse_structured and "response_format" in body:
            return JSONResponse({"error": {"message": "response_format is not supported"}}, status_code=400)
        if reply is None:
            reply = self.default(body, number)
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.status != 200:
            return JSONResponse({"error": {"message": reply.error, "type": "stand_in"}}, status_code=reply.status)
        prompt_tokens, completion_tokens = reply.usage
        result = {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", ""),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        if not reply.trickle:
            return JSONResponse(result)
        body = json.dumps(result).encode()

        async def drip() -> AsyncIterator[bytes]:
            for index in range(len(body)):
                await asyncio.sleep(reply.trickle)
                yield body[index : index + 1]

        return StreamingResponse(drip(), media_type="application/json")

"""A real HTTP server standing in for an exchange's REST API (uvicorn on a free port, in this loop)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from arena.testing.server import free_port


@dataclass
class RestServer:
    url: str
    requests: list[Request] = field(default_factory=list)
    responses: list[Any] = field(default_factory=list)


@asynccontextmanager
async def rest_server(answer: Callable[[Request], Any], status: int = 200) -> AsyncIterator[RestServer]:
    """Every GET, whatever its path, is answered with `answer(request)` as JSON."""
    port = free_port()
    server = RestServer(f"http://127.0.0.1:{port}")

    async def endpoint(request: Request) -> JSONResponse:
        server.requests.append(request)
        body = answer(request)
        server.responses.append(body)
        return JSONResponse(body, status_code=status)

    app = Starlette(routes=[Route("/{path:path}", endpoint)])
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(uv.serve())
    while not uv.started:
        await asyncio.sleep(0.01)
    try:
        yield server
    finally:
        uv.should_exit = True
        await task


@pytest.fixture
def candle_server():
    return rest_server

"""A real server in the test's own process and event loop: uvicorn on a free port serving the real
app, for tests that must also reach into the running arena (cap its database, count its
subscription groups). Clients still talk to it over real sockets."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn

from arena.api.context import AppState
from arena.config import get_settings
from arena.main import create_app
from arena.testing.server import free_port

TOKEN = "in-process-operator-token"


@asynccontextmanager
async def serving(db_path: Path, **settings: Any) -> AsyncIterator[tuple[str, AppState]]:
    """(host:port, the app's state) of a server with `settings` over the defaults below."""
    port = free_port()
    options: dict[str, Any] = {"feed": "sim", "tick_interval": 0.02, "operator_token": TOKEN, "log_level": "warning"}
    options["tune_gc"] = False  # the collector is the test process's, not the server's alone
    app = create_app(get_settings(db=str(db_path), port=port, **(options | settings)))
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="on", ws_per_message_deflate=False
    )  # as `arena serve` runs it
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await until(lambda: server.started, 20, "the server to start")
        yield f"127.0.0.1:{port}", app.state.arena
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


async def until(condition: Any, timeout: float, what: str) -> Any:
    """Poll `condition` (sync, or returning an awaitable) until it gives a true value."""

    async def poll() -> Any:
        while True:
            value = condition()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            await asyncio.sleep(0.02)

    try:
        return await asyncio.wait_for(poll(), timeout)
    except TimeoutError:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}") from None

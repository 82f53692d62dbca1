"""ASGI middleware that records HTTP request latency in the Prometheus histogram."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Receive, Scope, Send

from arena.metrics import Metrics

TIMED_PATHS = ("/graphql", "/health", "/metrics")


class RequestTimer:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            path = scope["path"] if scope["path"] in TIMED_PATHS else "other"
            self.metrics.request_latency.labels(path, scope["method"]).observe(time.perf_counter() - started)

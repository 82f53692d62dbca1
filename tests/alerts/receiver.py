"""A real HTTP server that records what is sent to it: the far end of webhook and Apprise tests.

    with WebhookReceiver() as receiver:
        ...  # deliver to receiver.url()
        [request] = receiver.wait_for(1, timeout=5)

It answers every request with `status` (200 unless set), and can go down (nothing listens on its
port) and come up again on the same port.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        """A header by name, in any case."""
        wanted = name.lower()
        return next((value for key, value in self.headers.items() if key.lower() == wanted), None)


class _Server(ThreadingHTTPServer):
    allow_reuse_address = True  # up again on the same port at once, TIME_WAIT or not
    daemon_threads = True

    def __init__(self, port: int, receiver: WebhookReceiver) -> None:
        self.receiver = receiver
        super().__init__(("127.0.0.1", port), _Handler)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.0 (the default): one request per connection, so a client's pooled connection cannot
    # reach a receiver that has gone down
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        receiver = self.server.receiver
        status = receiver.status
        receiver._record(ReceivedRequest(self.command, self.path, dict(self.headers.items()), body))
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", receiver.url("/redirected"))
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def log_message(self, format: str, *args: Any) -> None:  # quiet: pytest shows failures anyway
        pass


class WebhookReceiver:
    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: list[ReceivedRequest] = []
        self._changed = threading.Condition()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0
        self.up()

    # --- lifecycle

    def up(self) -> None:
        """Listen (again, on the same port once it has been chosen)."""
        if self._server is not None:
            return
        self._server = _Server(self.port, self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},  # how long `down` waits for the loop to notice
            name=f"receiver:{self.port}",
            daemon=True,
        )
        self._thread.start()

    def down(self) -> None:
        """Stop listening: a connection to the port is refused until `up`."""
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def is_up(self) -> bool:
        return self._server is not None

    def close(self) -> None:
        self.down()

    def __enter__(self) -> WebhookReceiver:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # --- what arrived

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def _record(self, request: ReceivedRequest) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """The requests so far, once there are at least `count`; AssertionError after `timeout`."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.requests) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"receiver on port {self.port}: {len(self.requests)} request(s) within {timeout} s, wanted {count}"
                    )
                self._changed.wait(left)
            return list(self.requests)

    async def await_count(self, count: int, timeout: float = 5.0) -> list[ReceivedRequest]:
        """`wait_for` without blocking the event loop."""
        return await asyncio.to_thread(self.wait_for, count, timeout)

"""Stopping what a cluster test started, every one of them whatever happens to the others."""

from __future__ import annotations

from collections.abc import Iterable

from arena.testing.server import ServerProcess


def stop_all(servers: Iterable[ServerProcess | None]) -> None:
    """SIGTERM each running server; one that does not stop in time is killed, and the rest still stop."""
    for server in servers:
        if server is None or not server.alive():
            continue
        try:
            server.stop()
        except Exception:
            server.kill()

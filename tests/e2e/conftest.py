from __future__ import annotations

import pytest

from .helpers import ArenaServer


def serve_on(store: str, tmp_path, request):
    """A real server: market ticks every 50 ms on the seeded simulated feed, its store an SQLite file
    or (`store` "postgresql") a PostgreSQL database."""
    db = tmp_path / "arena.db" if store == "sqlite" else request.getfixturevalue("postgres_url")
    proc = ArenaServer(db=db, args=("--tick-interval", "0.05"), log_dir=tmp_path).start()
    yield proc
    code = proc.stop()
    assert code == 0, f"server did not exit cleanly ({code}):\n{proc.log()}"


@pytest.fixture
def server(tmp_path, request):
    """On SQLite; test_api and test_bots run on both stores (their own `server` fixture)."""
    yield from serve_on("sqlite", tmp_path, request)

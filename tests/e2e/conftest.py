from __future__ import annotations

import pytest

from .helpers import ArenaServer


@pytest.fixture(params=["sqlite", "postgresql"])
def server(tmp_path, request):
    """A real server: market ticks every 50 ms on the seeded simulated feed; on an SQLite file and on
    a PostgreSQL database."""
    db = tmp_path / "arena.db" if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    proc = ArenaServer(db=db, args=("--tick-interval", "0.05"), log_dir=tmp_path).start()
    yield proc
    code = proc.stop()
    assert code == 0, f"server did not exit cleanly ({code}):\n{proc.log()}"

from __future__ import annotations

import pytest

from .helpers import ArenaServer


@pytest.fixture
def server(tmp_path):
    """A real server: market ticks every 50 ms on the seeded simulated feed."""
    proc = ArenaServer(db=tmp_path / "arena.db", args=("--tick-interval", "0.05")).start()
    yield proc
    code = proc.stop()
    assert code == 0, f"server did not exit cleanly ({code}):\n{proc.log()}"

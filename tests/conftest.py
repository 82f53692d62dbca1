"""Shared fixtures: where the recorded market data lives; a fast server with small buffers for the
slow-subscriber tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import ArenaServer

SHARED_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """../shared/data beside the project; tests that need it skip with a message where it is absent."""
    if not SHARED_DATA_DIR.is_dir():
        pytest.skip(f"recorded market data not found at {SHARED_DATA_DIR} (../shared/data beside the project)")
    return SHARED_DATA_DIR


@pytest.fixture
def fast_server(tmp_path):
    """`arena serve` ticking every 20 ms with small subscriber queues and socket buffers: a client
    that stops reading fills them within seconds."""
    proc = ArenaServer(
        db=tmp_path / "a.db",
        args=("--tick-interval", "0.02"),
        env={
            "ARENA_SUBSCRIBER_QUEUE": "64",
            "ARENA_SOCKET_SEND_BUFFER": "8192",
            "ARENA_MAX_SUBSCRIPTIONS_PER_CONNECTION": "50",
        },
    ).start()
    yield proc
    assert proc.stop() == 0

"""Shared fixtures: where the recorded market data lives; a fast server with small buffers for the
slow-subscriber tests; a throwaway PostgreSQL server for the tests that run on it as well."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from arena.testing.postgres import PostgresServer
from arena.testing.redis import RedisServer
from tests.e2e.helpers import ArenaServer

# CI sets this: there a test that needs PostgreSQL or Redis must run, never skip
REQUIRE_SERVERS = os.environ.get("ARENA_REQUIRE_SERVERS") == "1"
_database_names = itertools.count(1)

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


def missing_server(message: str) -> None:
    """Skip with `message` where a server's binaries are missing, or fail where they must be there."""
    if REQUIRE_SERVERS:
        pytest.fail(f"{message} (ARENA_REQUIRE_SERVERS=1: it must run here)")
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session (a fresh database per test: `postgres_url`)."""
    server = PostgresServer.find()
    if server is None:
        missing_server("PostgreSQL is not installed (apt-get install postgresql)")
    assert server is not None
    server.start()
    yield server
    server.remove()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new, empty database on the session's server, dropped after the test."""
    name = f"t{os.getpid()}_{next(_database_names)}"
    url = postgres_server.create_database(name)
    yield url
    postgres_server.drop_database(name)


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A redis-server of the test's own (nothing kept on disk)."""
    server = RedisServer.find()
    if server is None:
        missing_server("redis-server is not installed (apt-get install redis-server)")
    assert server is not None
    server.start()
    yield server
    server.remove()

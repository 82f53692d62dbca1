"""Shared fixtures: where the recorded market data lives."""

from __future__ import annotations

from pathlib import Path

import pytest

SHARED_DATA_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    """../shared/data beside the project; tests that need it skip with a message where it is absent."""
    if not SHARED_DATA_DIR.is_dir():
        pytest.skip(f"recorded market data not found at {SHARED_DATA_DIR} (../shared/data beside the project)")
    return SHARED_DATA_DIR

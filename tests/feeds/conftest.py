"""Feed fixtures: the recorded market data beside the project, and small files written per test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

# ../shared/data beside the project root (tests/feeds -> tests -> project root -> its parent).
SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"

WriteFile = Callable[..., Path]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The recorded market data folder; the test is skipped with a message where it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"recorded market data not found at {SHARED_DATA} (expected ../shared/data beside the "
            "project root); skipping the tests that replay it"
        )
    return SHARED_DATA


@pytest.fixture
def write_file(tmp_path: Path) -> WriteFile:
    """Writes ``text`` (or raw ``data`` bytes) to ``tmp_path / name`` and returns the path."""

    def _write(name: str, text: str = "", data: bytes | None = None) -> Path:
        path = tmp_path / name
        if data is not None:
            path.write_bytes(data)
        else:
            path.write_text(text, encoding="utf-8", newline="")
        return path

    return _write

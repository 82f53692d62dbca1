"""Replaced by the dashboard's browser tests."""

from pathlib import Path


def test_frontend_has_an_index_page():
    assert (Path(__file__).resolve().parents[2] / "frontend" / "index.html").is_file()

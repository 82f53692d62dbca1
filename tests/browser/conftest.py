"""Browser fixtures: headless Chromium (Python Playwright) against a real `arena serve`.

Locally, without Chromium or Playwright, these tests skip with the reason. In CI (CI=true)
they fail instead: a dashboard that nobody drove is not a tested dashboard.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import ArenaServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless=new",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}


def _unavailable() -> str | None:
    if importlib.util.find_spec("playwright") is None:
        return "Python Playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"browser tests must run in CI: {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=15_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def server(tmp_path) -> Iterator[ArenaServer]:
    """A real server with no competition yet; the shared market ticks every 100 ms."""
    proc = ArenaServer(db=tmp_path / "arena.db", args=("--tick-interval", "0.1")).start()
    yield proc
    code = proc.stop()
    assert code == 0, f"server did not exit cleanly ({code}):\n{proc.log()}"


@pytest.fixture
def dashboard(browser, server):
    """A fresh browser context (empty localStorage) on the dashboard page."""
    from tests.browser.pages import Dashboard

    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    yield Dashboard(page, server)
    context.close()

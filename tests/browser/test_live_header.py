"""The header tells the truth about the market feed: a live feed by its exchange and its status
(polled, since status is not pushed), a recorded feed by its kind and, when it is news, why it plays.

The live feed comes from a Coinbase stand-in (a real websocket server in this process) that the
test silences and wakes; the arena calls a feed stale after 1 s of silence."""

from __future__ import annotations

import re

import pytest

from arena.testing.server import free_port
from tests.browser.conftest import DESKTOP
from tests.browser.pages import Dashboard
from tests.coinbase_stand_in import CoinbaseStandIn
from tests.e2e.helpers import ArenaServer

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails, in CI) and says why
    expect = None

SYMBOLS = "BTC-USD,ETH-USD,SOL-USD"
# a regular expression sees the text as it is (a string is compared with its white space collapsed)
NOT_DELIVERING = re.compile(r"^\s*(STALE|RECONNECTING)\s+·\s+Coinbase · last quote \d+ s ago\s*$")
OFFLINE = "offline: live feed unreachable"


@pytest.fixture
def coinbase():
    stand_in = CoinbaseStandIn().start()
    yield stand_in
    stand_in.stop()


def stop(server: ArenaServer) -> None:
    code = server.stop()
    assert code == 0, f"server did not exit cleanly ({code}):\n{server.log()}"


@pytest.fixture
def serve(tmp_path):
    """serve(**options) -> a started `arena serve`; whichever is still running at the end is stopped (cleanly)."""
    servers: list[ArenaServer] = []

    def start(**options) -> ArenaServer:
        server = ArenaServer(db=tmp_path / "arena.db", **options).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        if server.alive():
            stop(server)


@pytest.fixture
def open_dashboard(browser):
    """open_dashboard(server) -> the dashboard on `server`, connected, in a fresh browser context."""
    contexts = []

    def open_on(server: ArenaServer) -> Dashboard:
        context = browser.new_context(viewport=DESKTOP)
        contexts.append(context)
        return Dashboard(context.new_page(), server).open()

    yield open_on
    for context in contexts:
        context.close()


def test_live_feed_header_shows_the_exchange_and_turns_stale_when_it_goes_quiet(coinbase, serve, open_dashboard):
    server = serve(args=coinbase.args(SYMBOLS), env={"ARENA_LIVE_STALE_SECONDS": "1"})
    dashboard = open_dashboard(server)
    badge = dashboard.page.locator("#feed-kind")

    # delivering: LIVE, healthy, the exchange by its title; the endpoint in the tooltip
    expect(dashboard.feed_with("feed-live")).to_have_text("LIVE · Coinbase")
    expect(badge).not_to_have_class(re.compile(r"\bfeed-stale\b"))
    expect(dashboard.feed).to_have_attribute("title", re.compile(re.escape(f"Live · Coinbase ({coinbase.url})")))

    # silent: the poll sees STALE (then RECONNECTING) and the header warns, with the last quote's age
    coinbase.pause()
    expect(dashboard.feed_with("feed-stale")).to_have_text(NOT_DELIVERING)

    # talking again: LIVE and healthy, with a fresh quote (a reconnect alone is not recovery)
    coinbase.resume()
    expect(dashboard.feed).to_have_attribute("title", re.compile(r"LIVE: last quote <1 s ago"))
    expect(dashboard.feed_with("feed-live")).to_have_text("LIVE · Coinbase")
    assert dashboard.real_console_errors() == []


def test_auto_feed_offline_header_says_the_simulation_plays_and_why(serve, open_dashboard):
    unreachable = f"ws://127.0.0.1:{free_port()}"
    server = serve(feed="auto", env={"ARENA_LIVE_URL": unreachable, "ARENA_AUTO_PROBE_SECONDS": "1"})
    dashboard = open_dashboard(server)
    expect(dashboard.feed).to_have_text(f"SIMULATED · {OFFLINE}")
    expect(dashboard.page.locator("#feed-description")).to_have_class(re.compile(r"\bnoted\b"))
    expect(dashboard.page.locator("#feed-kind")).not_to_have_class(re.compile(r"\bfeed-(live|stale)\b"))
    # the whole note (which endpoint, what went wrong) and the feed's own description in the tooltip
    title = dashboard.feed.get_attribute("title")
    assert title.startswith(f"{OFFLINE} (") and unreachable in title, title
    assert "Simulated GBM, seed 42" in title, title
    assert dashboard.real_console_errors() == []


def test_feed_polling_keeps_the_last_state_and_logs_once_while_the_server_is_away(serve, open_dashboard):
    server = serve(args=("--tick-interval", "0.1"))
    dashboard = open_dashboard(server)
    page = dashboard.page
    expect(dashboard.feed).to_have_text("SIMULATED · Simulated GBM, seed 42, 60s steps")
    stop(server)

    # three failed polls (time measured in requests, not sleeps): one log line, the header unchanged
    def failed_poll(request) -> bool:
        return '"query Feed' in (request.post_data or "")

    for _ in range(3):
        page.wait_for_event("requestfailed", predicate=failed_poll, timeout=15_000)
    polling_errors = page.locator("#event-log li", has_text="feed status:")
    expect(polling_errors).to_have_count(1)
    expect(dashboard.feed).to_have_text("SIMULATED · Simulated GBM, seed 42, 60s steps")

    # back on the same port: polling recovers by itself and says so once
    server.start()
    expect(page.locator("#event-log li", has_text="feed status: reachable again")).to_have_count(1)
    expect(polling_errors).to_have_count(2)

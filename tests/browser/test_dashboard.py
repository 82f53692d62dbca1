"""The dashboard in headless Chromium against a real server: what a watcher sees and what an
operator does. Every wait is for a DOM state (with a timeout), never a fixed sleep."""

from __future__ import annotations

import signal

from tests.browser.conftest import DESKTOP
from tests.browser.pages import expect
from tests.e2e.helpers import start, wait_until

PHONE = {"width": 390, "height": 844}
SYMBOLS = ["BTC-USD", "ETH-USD", "SOL-USD"]


def test_page_loads_without_console_errors_and_prices_update(dashboard):
    page = dashboard.open().page

    expect(dashboard.state).to_have_text("IDLE")
    expect(page.locator("#feed-kind")).to_have_text("SIMULATED")
    expect(page.locator("#feed-description")).to_contain_text("seed 42")
    expect(page.locator(".price-card")).to_have_count(len(SYMBOLS))
    expect(page.locator(".price-card .price").first).not_to_have_text("—")
    before = {symbol: dashboard.price(symbol) for symbol in SYMBOLS}
    dashboard.wait_for_updates(3 * len(SYMBOLS))
    page.wait_for_function(
        "before => Object.entries(before).some(([s, p]) => document.querySelector(`.price-card[data-symbol='${s}'] .price`).textContent !== p)",
        arg=before,
    )
    expect(page.locator(".spark-line").first).not_to_have_attribute("d", "")
    expect(page.locator("#chart-symbol")).to_have_text("BTC-USD")
    # nothing to operate yet: the commands wait for a competition, the form for a token
    for name in ("Pause", "Resume", "Stop"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Start competition")).to_be_enabled()
    expect(page.get_by_label("Operator token")).to_have_value("")
    assert dashboard.console_errors == []


def test_competition_from_the_form_trades_pauses_stops_and_is_in_history(dashboard):
    page = dashboard.open_with_token().page

    # the ?token= link fills the token in, is remembered, and leaves the address bar
    assert "token=" not in page.url
    expect(page.get_by_label("Operator token")).to_have_value(dashboard.server.token)
    assert page.evaluate("localStorage.getItem('arena.operatorToken')") == dashboard.server.token

    dashboard.start("Browser Cup")
    expect(dashboard.state).to_have_text("RUNNING")
    expect(page.locator("#competition-name")).to_have_text("Browser Cup")
    expect(dashboard.leaderboard_rows()).to_have_count(5)
    expect(dashboard.trade_rows().first).to_be_visible(timeout=20_000)
    dashboard.wait_for_rank_change()
    expect(page.locator("#equity-legend li")).to_have_count(5)
    expect(page.locator('#trade-feed li[data-side="buy"]').first).to_be_visible()
    expect(page.get_by_role("button", name="Start competition")).to_be_disabled()

    dashboard.screenshot("dashboard-desktop", DESKTOP)
    dashboard.screenshot("dashboard-phone", PHONE)
    dashboard.page.set_viewport_size(DESKTOP)

    # pause: prices go on, trades stop
    dashboard.command("Pause")
    expect(dashboard.state).to_have_text("PAUSED")
    expect(page.get_by_role("button", name="Resume", exact=True)).to_be_enabled()
    expect(page.get_by_role("button", name="Pause", exact=True)).to_be_disabled()
    dashboard.wait_for_updates(10)  # let anything already in flight land
    paused_total = dashboard.trade_total()
    paused_rows = dashboard.trade_rows().count()
    price_before = dashboard.price("BTC-USD")
    dashboard.wait_for_updates(40)
    expect(page.locator('.price-card[data-symbol="BTC-USD"] .price')).not_to_have_text(price_before)
    assert dashboard.trade_total() == paused_total
    assert dashboard.trade_rows().count() == paused_rows
    competition_trades = dashboard.server.graphql("{ trades(first: 1) { totalCount } }")["data"]["trades"]["totalCount"]
    assert competition_trades == paused_total

    dashboard.command("Resume")
    expect(dashboard.state).to_have_text("RUNNING")

    dashboard.command("Stop")
    expect(dashboard.state).to_have_text("STOPPED")
    for name in ("Pause", "Resume", "Stop"):
        expect(page.get_by_role("button", name=name, exact=True)).to_be_disabled()
    expect(page.get_by_role("button", name="Start competition")).to_be_enabled()
    expect(page.locator("#event-log li[data-kind='STATE_CHANGED']").first).to_contain_text("STOPPED")

    dashboard.show_history()
    row = page.locator("#history-list tr", has_text="Browser Cup")
    expect(row).to_contain_text("STOPPED")
    row.get_by_role("button", name="Browser Cup").click()
    detail = page.locator("#history-detail")
    expect(detail.get_by_role("heading", name="Browser Cup")).to_be_visible()
    expect(detail.locator("table.leaderboard tbody tr[data-agent]")).to_have_count(5)
    expect(detail.locator("ol.trades li").first).to_be_visible()
    expect(detail.locator(".legend li")).to_have_count(5)
    assert dashboard.console_errors == []


def test_finished_competition_shows_its_winner_live_and_in_history(dashboard):
    page = dashboard.open_with_token().page

    dashboard.start("Sprint", feed="Simulated", seed="7", rounds="60", speed="0.02s")
    expect(dashboard.state).to_have_text("FINISHED", timeout=20_000)
    expect(page.locator("#round")).to_have_text("60")
    winner = page.locator("#leaderboard tr.winner")
    expect(winner).to_have_count(1)
    expect(winner).to_have_attribute("data-rank", "1")
    winner_name = winner.locator(".agent-name").inner_text()
    expect(page.locator("#event-log li[data-kind='FINISHED']")).to_contain_text(f"winner {winner_name}")
    expect(page.locator("#winner-banner")).to_contain_text(f"{winner_name} wins")

    # sortable: most trades first, then fewest
    trades_header = page.locator("#leaderboard th[data-key='trades']")
    trades_header.get_by_role("button").click()
    expect(trades_header).to_have_attribute("aria-sort", "descending")
    counts = [int(t.replace(",", "")) for t in page.locator("#leaderboard td[data-col='trades']").all_inner_texts()]
    assert counts == sorted(counts, reverse=True) and len(counts) == 5
    trades_header.get_by_role("button").click()
    expect(trades_header).to_have_attribute("aria-sort", "ascending")
    counts = [int(t.replace(",", "")) for t in page.locator("#leaderboard td[data-col='trades']").all_inner_texts()]
    assert counts == sorted(counts)

    # the trade feed filtered to the most active agent shows only its trades
    busiest = page.locator("#leaderboard tbody tr[data-agent]").last
    agent_id = busiest.get_attribute("data-agent")
    page.get_by_label("Filter trades by agent").select_option(agent_id)
    rows = page.locator("#trade-feed li")
    expect(rows.first).to_be_visible()
    expect(page.locator(f"#trade-feed li:not([data-agent='{agent_id}'])")).to_have_count(0)
    expect(page.locator("#trade-count")).to_have_text(
        f"{int(busiest.locator('td[data-col=trades]').inner_text().replace(',', '')):,} trades"
    )

    dashboard.show_history()
    row = page.locator("#history-list tr", has_text="Sprint")
    expect(row).to_contain_text("FINISHED")
    expect(row).to_contain_text(winner_name)
    row.get_by_role("button", name="Sprint").click()
    detail = page.locator("#history-detail")
    expect(detail.locator(".winner-name")).to_have_text(winner_name)
    expect(detail.locator("table.leaderboard tr.winner .agent-name")).to_have_text(winner_name)
    total = dashboard.server.graphql(
        "query($id: ID!) { trades(competitionId: $id, first: 1) { totalCount } }",
        {"id": row.get_attribute("data-competition")},
    )["data"]["trades"]["totalCount"]
    expect(detail.locator(".panel-head .hint")).to_have_text(f"{total:,} trades")
    expect(detail.locator(".legend li")).to_have_count(5)
    assert dashboard.console_errors == []


def test_user_errors_are_shown_next_to_the_form(dashboard):
    page = dashboard.open().page  # no token yet

    dashboard.start("No token")
    expect(page.locator("#start-errors")).to_contain_text("operator token required")
    expect(dashboard.state).to_have_text("IDLE")

    page.get_by_label("Operator token").fill(dashboard.server.token)
    page.get_by_label("Operator token").press("Enter")
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    dashboard.start("Bad replay", feed="Replay", replay="no-such-file.csv")
    expect(page.locator("#start-errors")).to_contain_text("no replay file 'no-such-file.csv'")
    expect(page.get_by_label("Replay file")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#start-replayFiles-error")).to_contain_text("no-such-file.csv")

    page.locator("form.start-form").get_by_label("Shared market", exact=True).check()
    page.get_by_label("Symbols").fill("BTC-USD, DOGE-USD")
    page.get_by_role("button", name="Start competition").click()
    expect(page.locator("#start-symbols-error")).to_contain_text("DOGE-USD")
    expect(dashboard.state).to_have_text("IDLE")
    assert dashboard.console_errors == []


def test_reconnects_after_the_server_is_killed_and_restarted(dashboard):
    server = dashboard.server
    page = dashboard.open_with_token().page
    dashboard.start("Survivor")
    expect(dashboard.state).to_have_text("RUNNING")
    dashboard.wait_for_updates(20)

    server.stop(signal.SIGKILL)
    expect(page.locator("#connection")).to_have_attribute("data-state", "reconnecting")
    expect(page.locator("#connection-label")).to_contain_text("reconnecting")
    server.start()  # same port, same database

    expect(page.locator("#connection")).to_have_attribute("data-state", "connected", timeout=20_000)
    expect(page.locator("#event-log")).to_contain_text("reconnected")
    # re-synced: the crash left the competition INTERRUPTED, so the arena is idle again
    expect(dashboard.state).to_have_text("IDLE")
    before = dashboard.price("BTC-USD")
    dashboard.wait_for_updates(30)
    expect(page.locator('.price-card[data-symbol="BTC-USD"] .price')).not_to_have_text(before)

    # and it keeps working: a new competition runs and trades
    dashboard.start("After the crash")
    expect(dashboard.state).to_have_text("RUNNING")
    expect(dashboard.trade_rows().first).to_be_visible(timeout=20_000)
    assert dashboard.real_console_errors() == []


def test_replay_feed_from_the_form(dashboard, shared_data_dir):
    page = dashboard.open_with_token().page

    dashboard.start("Replay run", feed="Replay", replay="btc-perp-2022-01_1m.csv", speed="0.05s")
    expect(dashboard.state).to_have_text("RUNNING")
    expect(page.locator("#feed-kind")).to_have_text("REPLAY")
    expect(page.locator("#feed-description")).to_contain_text("btc-perp-2022-01_1m.csv")
    expect(page.locator(".price-card")).to_have_count(1)
    card = page.locator(".price-card").first
    before = card.locator(".price").inner_text()
    expect(card.locator(".price")).not_to_have_text(before)
    dashboard.command("Stop")
    expect(dashboard.state).to_have_text("STOPPED")
    assert dashboard.console_errors == []


def test_shows_offline_while_the_browser_is_offline(dashboard):
    page = dashboard.open().page

    page.context.set_offline(True)
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    expect(page.locator("#connection-label")).to_contain_text("offline")
    page.context.set_offline(False)
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    dashboard.wait_for_updates(5)
    assert dashboard.real_console_errors() == []


def test_equity_chart_shows_a_curve_per_agent_past_the_alias_limit(dashboard):
    """35 agents are more than the 30 aliases a query may have: the curves load in one query."""
    server = dashboard.server
    listed = server.graphql("{ arena { strategies { name } } }")["data"]["arena"]["strategies"]
    strategies = [s["name"] for s in listed if s["name"] != "llm"]  # a model agent needs a model named
    agents = [
        {"name": f"{strategies[i % len(strategies)]} #{i + 1}", "strategy": strategies[i % len(strategies)]}
        for i in range(35)
    ]
    competition = start(server, name="Crowd", agents=agents)
    wait_until(lambda: server.graphql("{ arena { round } }")["data"]["arena"]["round"] >= 5, what="five rounds")

    page = dashboard.page
    with page.expect_response(
        lambda r: r.request.method == "POST" and "EquityHistories" in (r.request.post_data or "")
    ) as response:
        dashboard.open()
    body = response.value.json()
    assert "errors" not in body, body["errors"]
    histories = body["data"]["agents"]
    assert len(histories) == 35 and all(a["equityHistory"] for a in histories)

    expect(page.locator("#competition-name")).to_have_text("Crowd")
    legend = page.locator("#equity-legend li")
    expect(legend).to_have_count(35)
    expect(page.locator("#equity-legend .legend-value", has_text="—")).to_have_count(0)
    assert sorted(legend.locator(".legend-name").all_inner_texts()) == sorted(a["name"] for a in agents)
    assert {a["id"] for a in histories} == {
        a["id"]
        for a in server.graphql("query($id: ID) { agents(competitionId: $id) { id } }", {"id": competition["id"]})[
            "data"
        ]["agents"]
    }
    dashboard.wait_for_updates(10)
    expect(page.locator("#event-log li[data-kind='ERROR']")).to_have_count(0)

    # the history view loads its curves the same way
    dashboard.show_history()
    with page.expect_response(
        lambda r: r.request.method == "POST" and "EquityHistories" in (r.request.post_data or "")
    ) as response:
        page.locator("#history-list tr", has_text="Crowd").get_by_role("button", name="Crowd").click()
    assert "errors" not in response.value.json()
    expect(page.locator("#history-detail .legend li")).to_have_count(35)
    expect(page.locator("#history-detail .legend .legend-value", has_text="—")).to_have_count(0)
    expect(page.locator("#event-log li[data-kind='ERROR']")).to_have_count(0)
    assert dashboard.console_errors == []

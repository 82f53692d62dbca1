"""The agent view: one agent's numbers, positions, closed trades and equity curve, opened from
wherever the dashboard shows an agent, checked against what the API says about that agent."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

from tests.browser.conftest import DESKTOP
from tests.browser.pages import expect
from tests.e2e.helpers import start, wait_until

PHONE = {"width": 390, "height": 844}

AGENTS = """
query($id: ID) {
  agents(competitionId: $id) {
    id name equity tradeCount
    positions { symbol quantity averagePrice marketPrice unrealizedPnl }
  }
}"""
AGENT = """
query($id: ID!) {
  agent(id: $id) { id name equity tradeCount positions { symbol quantity averagePrice marketPrice unrealizedPnl } }
}"""
AGENT_TRADES = """
query($id: ID!, $after: String) {
  trades(agentId: $id, first: 500, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id agentId side realizedPnl } }
  }
}"""
SELL_COUNT = "query($id: ID!) { trades(agentId: $id, side: SELL, first: 1) { totalCount } }"
VIEW_PAGE = 20  # closed trades per page the view reads (closed-trades.js)


# --- the dashboard's formatting (format.js), in Decimal: exact, half away from zero ------------


def fmt_decimal(value: str | None, places: int, *, sign: bool = False) -> str:
    if value is None:
        return "—"
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{abs(rounded):,.{places}f}"
    if rounded.is_zero():
        return text
    return ("-" if rounded < 0 else "+" if sign else "") + text


def fmt_money(value: str | None, *, sign: bool = False) -> str:
    return fmt_decimal(value, 2, sign=sign)


def fmt_price(value: str | None) -> str:
    size = abs(Decimal(value)) if value is not None else Decimal(0)
    return fmt_decimal(value, 2 if size >= 100 else 4 if size >= 1 else 6 if size >= Decimal("0.01") else 8)


def fmt_quantity(value: str) -> str:
    return fmt_decimal(value, 6 if abs(Decimal(value)) < 1 else 4)


def position_cells(position: dict) -> list[str]:
    return [
        position["symbol"],
        fmt_quantity(position["quantity"]),
        fmt_price(position["averagePrice"]),
        fmt_price(position["marketPrice"]),
        fmt_money(position["unrealizedPnl"], sign=True),
    ]


# --- what the API says ------------------------------------------------------------------------


def agent_trades(server, agent_id: str) -> list[dict]:
    """All of an agent's trades, newest first."""
    trades, after = [], None
    while True:
        page = server.graphql(AGENT_TRADES, {"id": agent_id, "after": after})["data"]["trades"]
        trades += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return trades
        after = page["pageInfo"]["endCursor"]


def closed_count_label(server, agent_id: str) -> str:
    """The view's count of the agent's closed trades, as the API counts its sells."""
    n = server.graphql(SELL_COUNT, {"id": agent_id})["data"]["trades"]["totalCount"]
    return f"{n:,} closed trade{'' if n == 1 else 's'}" if n else ""


def finished_competition(server) -> str:
    """A seeded simulation of 3000 rounds at full speed, finished and with every fill stored."""
    competition = start(server, name="Agents", feed="SIMULATED", seed=7, rounds=3000, speed="max")
    cid = competition["id"]
    wait_until(lambda: server.graphql("{ arena { state } }")["data"]["arena"]["state"] == "FINISHED", 60, "the finish")
    counts = "query($id: ID) { agents(competitionId: $id) { tradeCount } trades(competitionId: $id, first: 1) { totalCount } }"

    def stored():
        data = server.graphql(counts, {"id": cid})["data"]
        return sum(a["tradeCount"] for a in data["agents"]) == data["trades"]["totalCount"]

    wait_until(stored, 15, "every fill to be stored")
    return cid


def check_agent_view(dashboard, agent: dict, sells: list[dict]) -> None:
    """The open view shows `agent` as the API has it: numbers, positions, closed trades, curve."""
    view = dashboard.agent_view
    expect(view).to_be_visible()
    expect(view).to_have_attribute("data-agent", agent["id"])
    expect(view.locator("#agent-view-title")).to_have_text(agent["name"])
    expect(dashboard.agent_stat("equity")).to_have_text(fmt_money(agent["equity"]))
    expect(dashboard.agent_stat("tradeCount")).to_have_text(f"{agent['tradeCount']:,}")
    for key in ("returnPct", "maxDrawdown"):
        expect(dashboard.agent_stat(key)).to_have_text(re.compile(r"^\+?-?\d[\d,]*\.\d+%$"))

    rows = dashboard.agent_positions()
    expect(rows).to_have_count(len(agent["positions"]))
    for row, position in zip(rows.all(), agent["positions"], strict=True):
        expect(row.locator("th, td")).to_have_text(position_cells(position))

    # the count is the API's from the first page on, however few of them are shown yet
    expect(dashboard.agent_closed_count).to_have_text(closed_count_label(dashboard.server, agent["id"]))
    more = view.get_by_role("button", name="Load more")
    while more.is_visible():
        shown = dashboard.agent_closed_trades().count()
        more.click()
        expect(dashboard.agent_closed_trades()).not_to_have_count(shown)
    trades = dashboard.agent_closed_trades()
    expect(trades).to_have_count(len(sells))
    assert trades.evaluate_all("rows => rows.map((r) => r.dataset.id)") == [s["id"] for s in sells]
    expect(view.locator(f"table.closed-trades tr[data-id]:not([data-agent='{agent['id']}'])")).to_have_count(0)
    expect(view.locator("table.closed-trades tr[data-id]:not([data-side='SELL'])")).to_have_count(0)
    expect(view.locator("table.closed-trades td[data-col='realizedPnl']")).to_have_text(
        [fmt_money(s["realizedPnl"], sign=True) for s in sells]
    )
    dashboard.wait_for_agent_curve()


def test_agent_view_from_the_leaderboard_and_the_trade_feed_matches_the_api(dashboard):
    server = dashboard.server
    cid = finished_competition(server)
    agents = server.graphql(AGENTS, {"id": cid})["data"]["agents"]
    trades = {a["id"]: agent_trades(server, a["id"]) for a in agents}
    # an agent with open positions and more closed trades than one page of the view reads
    agent = max((a for a in agents if a["positions"]), key=lambda a: len(trades[a["id"]]))
    sells = [t for t in trades[agent["id"]] if t["side"] == "SELL"]
    assert len(sells) > 2 * VIEW_PAGE, "the seeded run should give an agent enough closed trades to page"
    assert len(sells) < len(trades[agent["id"]])
    assert closed_count_label(server, agent["id"]) == f"{len(sells):,} closed trades"

    page = dashboard.open().page
    expect(page.locator("#competition-name")).to_have_text("Agents")
    expect(dashboard.leaderboard_rows()).to_have_count(len(agents))

    # from a leaderboard row (anywhere on it): focus moves into the view, Escape closes it and
    # gives focus back to the agent's name in that row
    row = page.locator(f"#leaderboard tr[data-agent='{agent['id']}']")
    row.locator("td[data-col='equity']").click()
    expect(dashboard.agent_view.get_by_role("button", name="Close")).to_be_focused()
    check_agent_view(dashboard, agent, sells)
    dashboard.screenshot_agent_view("agent-view-desktop", DESKTOP)
    dashboard.screenshot_agent_view("agent-view-phone", PHONE)
    page.set_viewport_size(DESKTOP)
    page.keyboard.press("Escape")
    expect(dashboard.agent_view).to_be_hidden()
    expect(row.get_by_role("button", name=agent["name"])).to_be_focused()

    # from a trade in the feed: that trade's agent, and only its closed trades
    feed_trade = dashboard.trade_rows().first
    other_id = feed_trade.get_attribute("data-agent")
    other = next(a for a in agents if a["id"] == other_id)
    opener = feed_trade.get_by_role("button", name=other["name"])
    opener.click()
    check_agent_view(dashboard, other, [t for t in trades[other_id] if t["side"] == "SELL"])
    page.keyboard.press("Escape")
    expect(dashboard.agent_view).to_be_hidden()
    expect(opener).to_be_focused()

    # from the equity legend, by keyboard; the close button closes it too
    legend = page.locator(f"#equity-legend li[data-agent='{agent['id']}'] button")
    legend.focus()
    page.keyboard.press("Enter")
    expect(dashboard.agent_view).to_have_attribute("data-agent", agent["id"])
    # a close event of an earlier closing that arrives after the reopen (a busy renderer runs key
    # presses first) leaves the open view as it is
    page.evaluate("document.getElementById('agent-view').dispatchEvent(new Event('close'))")
    expect(dashboard.agent_view).to_have_attribute("data-agent", agent["id"])
    dashboard.wait_for_agent_curve()
    dashboard.agent_view.get_by_role("button", name="Close").click()
    expect(dashboard.agent_view).to_be_hidden()
    expect(legend).to_be_focused()

    # from the history view's leaderboard
    dashboard.show_history()
    page.locator("#history-list tr", has_text="Agents").get_by_role("button", name="Agents").click()
    detail = page.locator("#history-detail")
    expect(detail.locator("table.leaderboard tbody tr[data-agent]")).to_have_count(len(agents))
    detail.locator(f"table.leaderboard tr[data-agent='{agent['id']}'] td[data-col='strategy']").click()
    check_agent_view(dashboard, agent, sells)
    expect(dashboard.agent_view.locator(".agent-view-competition")).to_have_text("Agents")
    page.keyboard.press("Escape")
    expect(dashboard.agent_view).to_be_hidden()

    expect(page.locator("#event-log li[data-kind='ERROR']")).to_have_count(0)
    assert dashboard.console_errors == []


def test_agent_view_stays_current_while_the_competition_runs(dashboard):
    server = dashboard.server
    page = dashboard.open_with_token().page
    dashboard.start("Live agent")
    expect(dashboard.state).to_have_text("RUNNING")
    expect(dashboard.leaderboard_rows()).to_have_count(5)
    # the random agent buys and sells within seconds on the shared market; opened before it has
    # traded, all it shows later came while the view was open
    opener = (
        dashboard.leaderboard_rows()
        .filter(has=page.locator("td[data-col='strategy']", has_text="random"))
        .get_by_role("button")
    )
    agent_id = opener.locator("xpath=ancestor::tr").get_attribute("data-agent")
    opener.click()
    view = dashboard.agent_view
    expect(view).to_have_attribute("data-agent", agent_id)
    expect(dashboard.agent_positions().first).to_be_visible(timeout=30_000)
    equity = dashboard.agent_stat("equity")
    for _ in range(3):  # with a position, its equity moves with the prices: the leaderboard's updates reach the view
        before = equity.inner_text()
        expect(equity).not_to_have_text(before, timeout=20_000)
    expect(dashboard.agent_closed_trades()).not_to_have_count(0, timeout=30_000)
    dashboard.wait_for_agent_curve()

    # once it stops, the view settles on what the API says about the agent
    assert (
        server.operator("mutation { stopCompetition { userErrors { code } } }")["data"]["stopCompetition"]["userErrors"]
        == []
    )
    expect(dashboard.state).to_have_text("STOPPED")
    agent = server.graphql(AGENT, {"id": agent_id})["data"]["agent"]
    wait_until(lambda: len(agent_trades(server, agent_id)) == agent["tradeCount"], 15, "every fill to be stored")
    expect(dashboard.agent_stat("tradeCount")).to_have_text(f"{agent['tradeCount']:,}")
    expect(equity).to_have_text(fmt_money(agent["equity"]))
    rows = dashboard.agent_positions()
    expect(rows).to_have_count(len(agent["positions"]))
    for row, position in zip(rows.all(), agent["positions"], strict=True):
        expect(row.locator("th, td")).to_have_text(position_cells(position))
    sells = [t for t in agent_trades(server, agent_id) if t["side"] == "SELL"]
    expect(dashboard.agent_closed_trades()).to_have_count(len(sells))
    assert dashboard.agent_closed_trades().evaluate_all("rows => rows.map((r) => r.dataset.id)") == [
        t["id"] for t in sells
    ]
    expect(view.locator("table.closed-trades td[data-col='realizedPnl']")).to_have_text(
        [fmt_money(t["realizedPnl"], sign=True) for t in sells]
    )
    expect(dashboard.agent_closed_count).to_have_text(closed_count_label(server, agent_id))
    page.keyboard.press("Escape")
    expect(view).to_be_hidden()
    expect(opener).to_be_focused()
    assert dashboard.console_errors == []

"""The alerts panel in headless Chromium against a real server and a real webhook receiver: a
price alert from a price card (threshold prefilled), a trade alert with a signed webhook made
from the form (its secret shown once), the fired alert as a toast and in the list, the rule's
deliveries, refusals next to their fields, deletion, and all of it read back after a reload."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from arena.alerts.webhooks import verify
from tests.alerts.receiver import WebhookReceiver
from tests.browser.conftest import DESKTOP
from tests.browser.pages import Dashboard, expect
from tests.e2e.helpers import ArenaServer

PRICE = re.compile(r"^\d+(\.\d+)?$")
WEEK = str(7 * 24 * 3600)  # a week's cooldown in feed time: one trade alert in a test's time


@pytest.fixture
def receiver():
    with WebhookReceiver() as running:
        yield running


@pytest.fixture
def alerts_dashboard(browser, tmp_path):
    server = ArenaServer(
        db=tmp_path / "arena.db",
        args=("--tick-interval", "0.1"),
        env={"ARENA_ALERTS_ALLOW_PRIVATE": "true", "ARENA_ALERTS_RETRY_BASE": "0.05"},
    ).start()
    context = browser.new_context(viewport=DESKTOP)
    yield Dashboard(context.new_page(), server)
    context.close()
    code = server.stop()
    assert code == 0, f"server did not exit cleanly ({code}):\n{server.log()}"


def test_without_the_token_the_panel_says_so_and_creates_nothing(dashboard):
    page = dashboard.open().page
    panel = page.locator(".alerts-panel")
    expect(panel.locator(".alerts-status")).to_contain_text("operator token")
    expect(dashboard.alert_form.get_by_role("button", name="Create alert")).to_be_disabled()
    expect(page.locator("#alert-rules .empty-note")).to_have_text("No rules yet.")
    # the token pasted: the panel reads the rules and the form opens, the notice gone
    page.get_by_label("Operator token").fill(dashboard.server.token)
    page.get_by_label("Operator token").press("Enter")
    expect(dashboard.alert_form.get_by_role("button", name="Create alert")).to_be_enabled()
    expect(panel.locator(".alerts-status")).to_have_text("")
    expect(dashboard.alert_form.locator("[role=status]")).to_have_text("")
    assert dashboard.real_console_errors() == []


def test_alerts_from_a_price_card_and_the_form_fire_deliver_and_survive_a_reload(alerts_dashboard, receiver):
    dashboard = alerts_dashboard
    page = dashboard.open_with_token().page
    form = dashboard.alert_form
    expect(form.get_by_role("button", name="Create alert")).to_be_enabled()

    # the bell on a card: a price alert on that symbol, prefilled at its current price
    expect(page.locator('.price-card[data-symbol="ETH-USD"]')).to_have_attribute("data-price", PRICE)
    dashboard.price_alert("ETH-USD")
    threshold = form.get_by_label("Threshold", exact=True)
    expect(threshold).to_be_focused()
    expect(form.get_by_label("Symbol", exact=True)).to_have_value("ETH-USD")
    prefilled = Decimal(threshold.input_value())
    shown = Decimal(page.locator('.price-card[data-symbol="ETH-USD"]').get_attribute("data-price"))
    assert prefilled > 0 and abs(prefilled - shown) / shown < Decimal("0.05"), (prefilled, shown)
    far_above = str((prefilled * 100).quantize(Decimal("0.01")))
    threshold.fill(far_above)
    form.get_by_role("button", name="Create alert").click()
    expect(dashboard.alert_rule("ETH-USD above")).to_have_count(1)
    # no webhook yet: its secret is shown once all the same, for a webhook added later
    expect(form.locator(".alert-secret")).to_contain_text("for a webhook added later")

    # refusals: the form's own check, then the server's, each next to its field; nothing stored
    dashboard.create_alert("Price above", {"Threshold": ""})
    expect(form.locator("#alert-threshold-error")).to_contain_text("above 0")
    dashboard.create_alert("Agent trade", {"Webhook URL": "ftp://example.com/hook"})
    expect(form.locator("#alert-webhookUrl-error")).to_contain_text("INVALID_URL")
    expect(form.get_by_label("Webhook URL", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(dashboard.alert_rules()).to_have_count(1)

    # a trade alert with a signed webhook: the secret shown once, and it signs what arrives
    dashboard.create_alert("Agent trade", {"Webhook URL": receiver.url(), "Cooldown (s)": WEEK})
    trade_rule = dashboard.alert_rule("any agent trades")
    expect(trade_rule).to_have_count(1)
    expect(form.locator("#alert-webhookUrl-error")).to_have_text("")
    expect(form.locator(".alert-secret")).to_contain_text("The webhook's signing secret")
    secret = form.locator(".alert-secret .secret-value").inner_text()
    assert secret.startswith("whsec_")
    expect(trade_rule.locator(".alert-channels")).to_contain_text("webhook http://127.0.0.1/…")
    assert secret not in trade_rule.inner_text()

    dashboard.start("Alert Cup")
    expect(dashboard.fired_alerts()).to_have_count(1, timeout=20_000)
    fired = dashboard.fired_alerts().first
    expect(fired).to_have_attribute("data-kind", "AGENT_TRADE")
    expect(dashboard.toasts().first).to_contain_text("Agent trade")
    message = fired.locator(".message").inner_text()
    expect(dashboard.toasts().first).to_contain_text(message)
    (request,) = receiver.wait_for(1, timeout=15)
    assert request.json()["message"] == message
    assert verify(secret, request.body, request.header("X-Arena-Signature") or "")

    # the rule's deliveries: the one webhook delivery, delivered at the first attempt
    trade_rule.get_by_role("button", name="Deliveries").click()
    delivery = trade_rule.locator(".deliveries tbody tr")
    expect(delivery).to_have_count(1)
    expect(delivery).to_have_attribute("data-status", "DELIVERED")
    expect(delivery).to_have_attribute("data-delivery", request.header("X-Arena-Delivery") or "")
    expect(delivery.locator(".result")).to_contain_text("HTTP 200 at ")

    # deleting takes a second click; a reload reads the rules and what fired back from the server
    price_rule = dashboard.alert_rule("ETH-USD above")
    price_rule.get_by_role("button", name="Delete").click()
    price_rule.get_by_role("button", name="Confirm delete").click()
    expect(dashboard.alert_rules()).to_have_count(1)
    page.reload()
    expect(page.locator("#connection")).to_have_attribute("data-state", "connected")
    expect(dashboard.alert_rules()).to_have_count(1)
    expect(dashboard.alert_rule("any agent trades")).to_have_count(1)
    expect(dashboard.fired_alerts()).to_have_count(1)
    expect(dashboard.fired_alerts().first.locator(".message")).to_have_text(message)
    assert len(receiver.requests) == 1
    assert dashboard.real_console_errors() == []

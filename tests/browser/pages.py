"""The dashboard as the tests see it: what to click and what to read, in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture skips (or fails, in CI) and says why
    Page = expect = None

from tests.e2e.helpers import ArenaServer

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Chromium logs refused or offline connections on the console: expected while the server is down or the browser offline.
NETWORK_NOISE = re.compile(
    r"ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_INTERNET_DISCONNECTED|WebSocket connection to .* failed"
)


@dataclass
class Dashboard:
    page: Page
    server: ArenaServer
    console_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.console_errors.append(f"uncaught: {e}"))

    # --- navigation ----------------------------------------------------------------------

    def open(self, query: str = "") -> Dashboard:
        self.page.goto(f"{self.server.url}/{query}")
        expect(self.page.locator("#connection")).to_have_attribute("data-state", "connected")
        return self

    def open_with_token(self) -> Dashboard:
        return self.open(f"?token={self.server.token}")

    def show_history(self) -> None:
        self.page.get_by_role("link", name="History").click()
        expect(self.page.locator("#view-history")).to_be_visible()

    # --- reading -------------------------------------------------------------------------

    @property
    def state(self):
        return self.page.locator("#arena-state")

    @property
    def feed(self):
        """The header's feed line: its badge (`#feed-kind`), then its description; details in its title."""
        return self.page.locator("#feed")

    def feed_with(self, badge_class: str):
        """The feed line while its badge has `badge_class` (feed-live, feed-stale): text and class read at once."""
        return self.page.locator(f"#feed:has(#feed-kind.{badge_class})")

    def updates(self) -> int:
        return int(self.page.locator("#update-count").inner_text().replace(",", ""))

    def price(self, symbol: str) -> str:
        return self.page.locator(f'.price-card[data-symbol="{symbol}"] .price').inner_text()

    def trade_rows(self):
        return self.page.locator("#trade-feed li")

    def trade_total(self) -> int:
        text = self.page.locator("#trade-count").inner_text()
        return int(text.split()[0].replace(",", ""))

    def leaderboard_rows(self):
        return self.page.locator("#leaderboard tbody tr[data-agent]")

    def wait_for_updates(self, count: int) -> None:
        """Wait until `count` more live messages have arrived (time measured in events, not sleeps)."""
        target = self.updates() + count
        self.page.wait_for_function(
            "t => Number(document.getElementById('update-count').textContent.replace(/,/g, '')) >= t", arg=target
        )

    def wait_for_rank_change(self, timeout: float = 20_000) -> None:
        """Wait until the leaderboard has shown two different orders of agents."""
        self.page.wait_for_function(
            """() => {
            const order = [...document.querySelectorAll('#leaderboard tbody tr[data-agent]')].map(r => r.dataset.agent).join();
            window.__orders ??= new Set();
            if (order) window.__orders.add(order);
            return window.__orders.size > 1;
        }""",
            polling=50,
            timeout=timeout,
        )

    @property
    def agent_view(self):
        return self.page.locator("#agent-view")

    def agent_positions(self):
        return self.agent_view.locator("table.positions tbody tr[data-symbol]")

    def agent_closed_trades(self):
        return self.agent_view.locator("table.closed-trades tbody tr[data-id]")

    @property
    def agent_closed_count(self):
        return self.agent_view.locator("section[aria-labelledby='agent-closed-title'] .panel-head .hint")

    def agent_stat(self, key: str):
        return self.agent_view.locator(f"[data-stat='{key}'] dd")

    def wait_for_agent_curve(self, min_pixels: int = 40) -> None:
        """Wait until the agent view's equity chart has a line drawn in the agent's colour (its swatch's)."""
        self.page.wait_for_function(
            """min => {
            const view = document.getElementById('agent-view');
            const [r, g, b] = getComputedStyle(view.querySelector('h2 .swatch')).backgroundColor.match(/\\d+/g).map(Number);
            const canvas = view.querySelector('canvas');
            if (!canvas.width || !canvas.height) return false;
            const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
            let count = 0;
            for (let i = 0; i < data.length; i += 4) if (data[i] === r && data[i + 1] === g && data[i + 2] === b) count++;
            return count >= min;
        }""",
            arg=min_pixels,
        )

    def real_console_errors(self) -> list[str]:
        return [e for e in self.console_errors if not NETWORK_NOISE.search(e)]

    # --- acting --------------------------------------------------------------------------

    def start(
        self,
        name: str,
        *,
        feed: str = "Shared market",
        rounds: str = "",
        speed: str = "",
        seed: str = "",
        replay: str = "",
    ) -> None:
        form = self.page.locator("form.start-form")
        form.get_by_label("Name", exact=True).fill(name)
        form.get_by_label(feed, exact=True).check()
        if seed:
            form.get_by_label("Seed").fill(seed)
        if replay:
            form.get_by_label("Replay file").fill(replay)
        if rounds:
            form.get_by_label("Rounds").fill(rounds)
        if speed:
            form.get_by_label("Speed").fill(speed)
        form.get_by_role("button", name="Start competition").click()

    def add_model_agent(
        self, model: str, *, endpoint: str = "", decide_every: str = "", name: str = "", key_variable: str = ""
    ):
        """Add a model agent to the start form (fields left empty keep their defaults); -> its row."""
        form = self.page.locator("form.start-form")
        form.get_by_role("button", name="Add model agent").click()
        row = form.locator(".model-agent-row").last
        row.get_by_label("Model", exact=True).fill(model)
        for label, value in (
            ("Agent name", name),
            ("Endpoint", endpoint),
            ("Decide every", decide_every),
            ("API key variable", key_variable),
        ):
            if value:
                row.get_by_label(label, exact=True).fill(value)
        return row

    def only_model_agents(self) -> None:
        """Untick every built-in strategy in the start form (once the server has named them)."""
        boxes = self.page.locator("form.start-form input[name='agent']")
        expect(boxes.first).to_be_visible()
        for box in boxes.all():
            box.uncheck()

    def model_chat(self, agent_name: str):
        """One model agent's column in the Model chat panel."""
        return self.page.locator(
            "#model-chat section.model-agent", has=self.page.locator(".agent-name", has_text=agent_name)
        )

    def decisions(self, agent_name: str):
        """That agent's decisions as shown, newest first."""
        return self.model_chat(agent_name).locator("li.decision")

    # --- alerts --------------------------------------------------------------------------

    @property
    def alert_form(self):
        return self.page.locator("form.alert-form")

    def alert_rules(self):
        return self.page.locator("#alert-rules li.alert-rule")

    def alert_rule(self, text: str):
        return self.page.locator("#alert-rules li.alert-rule", has_text=text)

    def fired_alerts(self):
        return self.page.locator("#fired-alerts li.fired-alert")

    def toasts(self):
        return self.page.locator("#toasts .toast")

    def price_alert(self, symbol: str) -> None:
        """The bell on a price card: the alert form, prefilled with that symbol at its price."""
        self.page.get_by_role("button", name=f"Price alert on {symbol}").click()

    def create_alert(self, kind: str, fields: dict[str, str] | None = None) -> None:
        """Fill the alert form (`kind` and `fields` by their labels) and submit it."""
        form = self.alert_form
        form.get_by_label("Kind", exact=True).select_option(label=kind)
        for label, value in (fields or {}).items():
            control = form.get_by_label(label, exact=True)
            if control.evaluate("c => c.tagName") == "SELECT":
                control.select_option(label=value)
            else:
                control.fill(value)
        form.get_by_role("button", name="Create alert").click()

    def command(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).click()

    def screenshot(self, name: str, viewport: dict[str, int]) -> list[Path]:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.set_viewport_size(viewport)
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.wait_for_function("() => document.getElementById('price-chart').width > 0")
        shots = [SCREENSHOTS / f"{name}.png", SCREENSHOTS / f"{name}-full.png"]
        self.page.screenshot(path=str(shots[0]), animations="disabled")
        self.page.screenshot(path=str(shots[1]), full_page=True, animations="disabled")
        return shots

    def screenshot_agent_view(self, name: str, viewport: dict[str, int]) -> list[Path]:
        """The open agent view (a modal over the page): its top, and scrolled to its end."""
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.set_viewport_size(viewport)
        self.wait_for_agent_curve()
        shots = [SCREENSHOTS / f"{name}.png", SCREENSHOTS / f"{name}-end.png"]
        for shot, top in zip(shots, ("0", "view.scrollHeight"), strict=True):
            self.agent_view.evaluate(f"view => view.scrollTo(0, {top})")
            self.page.screenshot(path=str(shot), animations="disabled")
        self.agent_view.evaluate("view => view.scrollTo(0, 0)")
        return shots

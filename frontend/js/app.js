// Wiring: build the views, connect them to the API, route between Live and History.

import { AgentView } from "./agent-view.js";
import { AlertsPanel } from "./alerts.js";
import { Api } from "./api.js";
import { Controls } from "./controls.js";
import { byId } from "./dom.js";
import { EquityCurves } from "./equity.js";
import { EventLog } from "./event-log.js";
import { FeedPoller } from "./feed-poller.js";
import { Header } from "./header.js";
import { HistoryView } from "./history.js";
import { LeaderboardTable } from "./leaderboard.js";
import { LiveView } from "./live.js";
import { ModelChat } from "./model-chat.js";
import { PriceChartPanel } from "./price-chart.js";
import { PriceSeries } from "./price-series.js";
import { PriceCards } from "./prices.js";
import { StartForm } from "./start-form.js";
import { Toasts } from "./toasts.js";
import { adoptTokenFromUrl, saveToken } from "./token.js";
import { TradeFeed } from "./trades.js";
import { SubscriptionClient, defaultSocketUrl } from "./ws-client.js";
import { SUB_ALERTS } from "./documents.js";

let token = adoptTokenFromUrl();
const api = new Api(() => token);
const client = new SubscriptionClient(defaultSocketUrl(), { getToken: () => token });
const log = new EventLog(byId("event-log"));
const agentView = new AgentView(byId("agent-view"), { api, log });
const openAgent = (agentId, opener) => agentView.open(agentId, { returnFocus: opener });

const header = new Header({
  state: byId("arena-state"), name: byId("competition-name"), round: byId("round"),
  feed: byId("feed"), feedKind: byId("feed-kind"), feedDescription: byId("feed-description"),
  connection: byId("connection"), connectionLabel: byId("connection-label"), updates: byId("update-count"),
});

const series = new PriceSeries();
const chart = new PriceChartPanel({
  canvas: byId("price-chart"), symbolLabel: byId("chart-symbol"), series,
  kindButtons: [...document.querySelectorAll("[data-chart-kind]")], windowSelect: byId("chart-window"),
});
const alerts = new AlertsPanel(byId("alerts"), { api, log, toasts: new Toasts(byId("toasts")), hasToken: () => Boolean(token) });
const cards = new PriceCards(byId("price-cards"), {
  onSelect: (symbol) => chart.setSymbol(symbol),
  onAlert: (symbol, price) => alerts.prefill(symbol, price),
});

const equity = new EquityCurves({
  canvas: byId("equity-chart"), legend: byId("equity-legend"),
  unitButtons: [...document.querySelectorAll("#view-live [data-equity-unit]")], onAgent: openAgent,
});
const leaderboard = new LeaderboardTable(byId("leaderboard"), { caption: "Live leaderboard", banner: byId("winner-banner"), onAgent: openAgent });

const modelChat = new ModelChat(byId("model-chat"), { onAgent: openAgent });

let live = null;
const trades = new TradeFeed(byId("trade-feed"), {
  filterSelect: byId("trade-filter"), countLabel: byId("trade-count"), onAgent: openAgent,
  onFilter: (agentId) => live.refilterTrades(agentId),
});

const controlsRoot = byId("controls");
const controls = new Controls(controlsRoot, {
  token,
  onTokenChange: (value) => {
    if (value === token) return;
    token = value;
    saveToken(value);
    log.info(value ? "operator token saved in this browser" : "operator token cleared");
    client.restart("token changed"); // the websocket sends the token in connection_init
    alerts.reload();
  },
  onCommand: async (name) => {
    const errors = await api.command(name);
    await live.resync();
    return errors;
  },
});
const startForm = new StartForm(controlsRoot, {
  onSubmit: async (input) => {
    const errors = await api.start(input);
    if (!errors.length) {
      log.info(`started "${input.name}"`);
      await live.resync();
    }
    return errors;
  },
});

live = new LiveView({ client, api, header, cards, chart, series, equity, leaderboard, trades, modelChat, agentView, controls, startForm, alerts, log });

// Alerts: re-read after every (re)connection, then streamed; refused without the operator token.
client.on("connected", () => alerts.reload());
client.on("resync", () => alerts.reload()); // the server ended a subscription: what fired meanwhile is re-read
client.subscribe(SUB_ALERTS, {}, { next: (data) => data && alerts.onFired(data.alerts), error: (errors) => alerts.refused(errors) });

const history = new HistoryView({
  listContainer: byId("history-list"), detail: byId("history-detail"), refreshButton: byId("history-refresh"),
  api, log, onSelect: (id) => (window.location.hash = `#history/${id}`), onAgent: openAgent,
});

function route() {
  const [view, id] = window.location.hash.replace(/^#/, "").split("/");
  const showHistory = view === "history";
  byId("view-live").hidden = showHistory;
  byId("view-history").hidden = !showHistory;
  for (const [tab, current] of [["tab-live", !showHistory], ["tab-history", showHistory]]) {
    if (current) byId(tab).setAttribute("aria-current", "page");
    else byId(tab).removeAttribute("aria-current");
  }
  if (showHistory) history.open(id ? decodeURIComponent(id) : null);
}

window.addEventListener("hashchange", route);
route();
live.start();
new FeedPoller({ api, log, onFeed: (feed) => header.setFeed(feed) }).start();

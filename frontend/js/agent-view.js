// The agent view: a modal dialog with one agent's headline numbers, equity curve, open positions
// and closed trades, opened from wherever an agent is shown. Escape, the close button or a click
// beside it closes it, and focus goes back to what opened it. While it shows an agent of the live
// competition, the live view's subscriptions keep it current: a leaderboard update shows the new
// numbers and curve point at once and has the positions re-read (at most once a second); the
// agent's sells arrive from the trade feed; after a re-sync, everything is read again.

import { el, setText } from "./dom.js";
import { agentColor } from "./colors.js";
import { addDecimals, signOf } from "./decimal.js";
import { ClosedTrades } from "./closed-trades.js";
import { EquityCurves } from "./equity.js";
import { formatFraction, formatInteger, formatMoney, formatNumber, formatPercent } from "./format.js";
import { PositionsTable } from "./positions.js";

const REFRESH_MS = 1000;
const KINDS = { BUILTIN: "built-in", BOT: "bot" };

const pnl = (a) => addDecimals(a.realizedPnl, a.unrealizedPnl);

const STATS = [
  { key: "equity", label: "Equity", text: (a) => formatMoney(a.equity) },
  { key: "returnPct", label: "Return", text: (a) => formatPercent(a.returnPct), sign: (a) => Math.sign(a.returnPct) },
  { key: "pnl", label: "PnL", text: (a) => formatMoney(pnl(a), { sign: true }), sign: (a) => signOf(pnl(a)) },
  { key: "cash", label: "Cash", text: (a) => formatMoney(a.cash) },
  { key: "tradeCount", label: "Trades", text: (a) => formatInteger(a.tradeCount) },
  { key: "winRate", label: "Win rate", text: (a) => formatFraction(a.winRate, 0) },
  { key: "maxDrawdown", label: "Max drawdown", text: (a) => formatFraction(a.maxDrawdown, 2) },
  { key: "sharpe", label: "Sharpe", text: (a) => formatNumber(a.sharpe, 3) },
];

export class AgentView {
  #agentId = null;
  #agent = null; // the agent shown, once loaded
  #generation = 0; // bumped on every open and close: answers for an earlier one are dropped
  #returnFocus = null;
  #timer = 0;
  #refreshing = false;
  #again = false;
  #everything = false; // the next refresh re-reads the equity curve and the closed trades too
  #lastRefresh = 0;

  constructor(dialog, { api, log }) {
    this.dialog = dialog;
    this.api = api;
    this.log = log;
    const parts = layout();
    dialog.replaceChildren(parts.body);
    this.parts = parts;
    this.equity = new EquityCurves({ canvas: parts.canvas, unitButtons: parts.unitButtons, emptyText: "No rounds yet" });
    this.positions = new PositionsTable(parts.positions);
    this.closed = new ClosedTrades(parts.closed, { api, countLabel: parts.closedCount, onError: (e) => log.error(`agent trades: ${e.message}`) });
    parts.close.addEventListener("click", () => this.close());
    // a press and release on the backdrop (outside the dialog's box; its events go to the dialog) closes it
    const outside = (e) => {
      const box = dialog.getBoundingClientRect();
      return e.clientX < box.left || e.clientX > box.right || e.clientY < box.top || e.clientY > box.bottom;
    };
    let pressedOutside = false;
    dialog.addEventListener("pointerdown", (event) => (pressedOutside = outside(event)));
    dialog.addEventListener("click", (event) => {
      if (pressedOutside && outside(event)) this.close();
      pressedOutside = false;
    });
    // The close event is a task of its own: under load a key press can reopen the dialog before a
    // close event of the previous closing arrives, and that stale event must not close the new view.
    dialog.addEventListener("close", () => {
      if (!dialog.open) this.#closed();
    });
  }

  async open(agentId, { returnFocus = document.activeElement } = {}) {
    const generation = ++this.#generation;
    clearTimeout(this.#timer);
    this.#timer = 0;
    this.#agentId = agentId;
    this.#agent = null;
    this.#returnFocus = returnFocus;
    rememberPlace(returnFocus);
    this.dialog.dataset.agent = agentId;
    this.#status("Loading…");
    this.#blank();
    this.positions.show([], "Loading…");
    this.equity.reset({ emptyText: "Loading…" });
    if (!this.dialog.open) this.dialog.showModal();
    try {
      const [agent] = await Promise.all([this.api.agent(agentId, { history: true }), this.closed.load(agentId)]);
      if (generation !== this.#generation) return;
      if (!agent) {
        this.#status(`No agent ${agentId}.`);
        return;
      }
      const competition = agent.competition; // { id, name, startingCash }: it came with the agent
      this.#agent = agent;
      this.#status("");
      this.#render(agent, competition);
      this.positions.show(agent.positions);
      this.equity.reset({ startingCash: competition?.startingCash ?? null, emptyText: "No rounds yet" });
      this.equity.load([agent], new Map([[agent.id, agent.equityHistory]]));
    } catch (error) {
      if (generation !== this.#generation) return;
      this.#status(`Could not load the agent: ${error.message}`, true);
      this.log.error(`agent: ${error.message}`);
    }
  }

  close() {
    if (this.dialog.open) this.dialog.close();
  }

  /** Live leaderboard entries at `round`: keeps the view current while its agent is among them. */
  follow(entries, round) {
    const entry = this.#agent && entries.find((e) => e.agent.id === this.#agentId);
    if (!entry) return;
    this.#agent = { ...this.#agent, ...entry.agent };
    this.#render(this.#agent);
    this.equity.addStandings([entry], round);
    this.#scheduleRefresh();
  }

  /** A live trade: the agent's sells join its closed trades. */
  addTrade(trade) {
    if (this.#agent && trade.agentId === this.#agentId) this.closed.add(trade);
  }

  /** The live view re-read the competition (a reconnect, a state change): so does this view. */
  resync(competitionId) {
    if (!this.#agent || this.#agent.competitionId !== competitionId) return;
    this.#everything = true;
    this.#scheduleRefresh();
  }

  // --- refreshing ------------------------------------------------------------------------

  #scheduleRefresh() {
    if (this.#refreshing) this.#again = true;
    if (this.#refreshing || this.#timer) return;
    const wait = Math.max(0, this.#lastRefresh + REFRESH_MS - Date.now());
    this.#timer = setTimeout(() => this.#refresh(), wait);
  }

  async #refresh() {
    this.#timer = 0;
    this.#lastRefresh = Date.now();
    this.#refreshing = true;
    const generation = this.#generation;
    const everything = this.#everything;
    this.#everything = false;
    try {
      const [agent] = await Promise.all([this.api.agent(this.#agentId, { history: everything }), everything && this.closed.refresh()]);
      if (generation !== this.#generation || !agent) return;
      this.#agent = { ...this.#agent, ...agent };
      this.#render(this.#agent);
      this.positions.show(agent.positions);
      if (everything) this.equity.load([agent], new Map([[agent.id, agent.equityHistory]]));
    } catch (error) {
      if (generation === this.#generation) this.log.error(`agent: ${error.message}`);
    } finally {
      this.#refreshing = false;
      if (this.#again && generation === this.#generation) {
        this.#again = false;
        this.#scheduleRefresh();
      }
    }
  }

  // --- showing -----------------------------------------------------------------------------

  #render(agent, competition = null) {
    const { parts } = this;
    parts.swatch.style.background = agentColor(agent.id);
    setText(parts.name, agent.name);
    if (competition) setText(parts.competition, competition.name);
    setText(parts.facts, `#${agent.rank} · ${agent.strategy} · ${KINDS[agent.kind] ?? agent.kind} · ${agent.status.toLowerCase()}`);
    parts.canvas.setAttribute("aria-label", `Equity curve of ${agent.name}`);
    for (const stat of STATS) {
      const dd = parts.stats.get(stat.key);
      setText(dd, stat.text(agent));
      if (stat.sign) dd.dataset.sign = String(stat.sign(agent));
    }
  }

  #blank() {
    const { parts } = this;
    parts.swatch.style.background = agentColor(this.#agentId);
    setText(parts.name, "Agent");
    setText(parts.facts, "");
    setText(parts.competition, "");
    for (const dd of parts.stats.values()) {
      setText(dd, "—");
      delete dd.dataset.sign;
    }
  }

  #status(text, error = false) {
    setText(this.parts.status, text);
    this.parts.status.hidden = !text;
    this.parts.status.dataset.error = String(error);
  }

  #closed() {
    this.#generation += 1;
    clearTimeout(this.#timer);
    this.#timer = 0;
    this.#agent = null;
    this.#agentId = null;
    delete this.dialog.dataset.agent;
    const target = this.#returnFocus;
    this.#returnFocus = null;
    stillThere(target)?.focus();
  }
}

/** Where the opener sits (its list's id, its agent, its kind of control), to find it again if it is replaced. */
function rememberPlace(opener) {
  const item = opener?.closest?.("[data-agent]");
  const list = item?.parentElement?.closest("[id]");
  if (!item || !list) return;
  opener.dataset.returnPlace = `#${CSS.escape(list.id)} [data-agent="${CSS.escape(item.dataset.agent)}"] ${opener.tagName.toLowerCase()}`;
}

/** The opener, or, when its list was rebuilt while the view was open (a legend redrawn), the same
 * agent's control in the same place: focus goes back where the user was. */
function stillThere(opener) {
  if (!opener || opener.isConnected) return opener;
  const place = opener.dataset.returnPlace;
  return place ? document.querySelector(place) : null;
}

function layout() {
  const swatch = el("span", { class: "swatch", "aria-hidden": "true" });
  const name = el("span", { class: "agent-view-name" }, "Agent");
  const competition = el("span", { class: "agent-view-competition" });
  const facts = el("span", { class: "agent-view-facts" });
  const close = el("button", { type: "button", class: "ghost close", "aria-label": "Close", title: "Close (Esc)" }, "✕");
  const status = el("p", { class: "agent-view-status", role: "status", hidden: true });
  const stats = new Map(STATS.map((s) => [s.key, el("dd", { class: "num" }, "—")]));
  const unitButtons = [
    el("button", { type: "button", dataset: { equityUnit: "usd" }, "aria-pressed": "true" }, "$"),
    el("button", { type: "button", dataset: { equityUnit: "pct" }, "aria-pressed": "false" }, "%"),
  ];
  const canvas = el("canvas", { role: "img", "aria-label": "Equity curve of the agent" });
  const positions = el("div", { class: "table-wrap" });
  const closed = el("div");
  const closedCount = el("span", { class: "hint" });
  const section = (id, title, extra, ...body) => el("section", { class: "agent-view-section", "aria-labelledby": id },
    el("div", { class: "panel-head" }, el("h3", { id }, title), extra), ...body);
  const body = el("div", { class: "agent-view-body" },
    el("header", { class: "agent-view-head" },
      el("div", { class: "agent-view-titles" },
        el("h2", { id: "agent-view-title" }, swatch, name),
        el("p", { class: "agent-view-sub muted" }, facts, competition)),
      close),
    status,
    el("dl", { class: "agent-stats" }, STATS.map((s) => el("div", { class: "stat", dataset: { stat: s.key } }, el("dt", {}, s.label), stats.get(s.key)))),
    section("agent-equity-title", "Equity", el("div", { class: "segmented", role: "group", "aria-label": "Equity units" }, unitButtons),
      el("div", { class: "chart-box" }, canvas)),
    section("agent-positions-title", "Open positions", null, positions),
    section("agent-closed-title", "Closed trades", closedCount, closed));
  return { body, swatch, name, competition, facts, close, status, stats, unitButtons, canvas, positions, closed, closedCount };
}

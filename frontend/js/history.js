// History: past competitions, newest first; choose one to see its final leaderboard, its
// equity curves and its trades (the same components as the live view, fed by queries), whose
// agents open the agent view.

import { el, setChildren } from "./dom.js";
import { EquityCurves } from "./equity.js";
import { formatDateTime, formatInteger, formatMoney } from "./format.js";
import { LeaderboardTable } from "./leaderboard.js";
import { TradeFeed } from "./trades.js";

const PAGE = 20;

export class HistoryView {
  #competitions = [];
  #endCursor = null;
  #selected = null;
  #equity = null;

  constructor({ listContainer, detail, refreshButton, api, onSelect, onAgent, log }) {
    this.listContainer = listContainer;
    this.detail = detail;
    this.api = api;
    this.onSelect = onSelect; // (id) -> navigates to #history/<id>
    this.onAgent = onAgent; // (agentId, button) -> opens the agent view
    this.log = log;
    this.tbody = el("tbody");
    this.more = el("button", { type: "button", class: "ghost", hidden: true, onclick: () => this.#loadMore() }, "Load more");
    const head = el("thead", {}, el("tr", {}, ["Competition", "Status", "Feed", "Rounds", "Started (UTC)", "Winner"].map((h) => el("th", { scope: "col" }, h))));
    listContainer.replaceChildren(el("table", { class: "history" }, el("caption", { class: "visually-hidden" }, "Past competitions"), head, this.tbody), this.more);
    refreshButton.addEventListener("click", () => this.refresh());
    this.#placeholder("Choose a competition to see its final standings, equity curves and trades.");
  }

  /** Show the list (read afresh) and, with an id, that competition. */
  async open(id = null) {
    await this.refresh();
    if (id && id !== this.#selected) await this.#show(id);
  }

  async refresh() {
    try {
      const page = await this.api.competitions(PAGE);
      this.#competitions = page.competitions;
      this.#endCursor = page.endCursor;
      this.more.hidden = !page.hasNextPage;
      this.#renderList();
    } catch (error) {
      this.log.error(`history: ${error.message}`);
    }
  }

  async #loadMore() {
    const page = await this.api.competitions(PAGE, this.#endCursor);
    this.#competitions.push(...page.competitions);
    this.#endCursor = page.endCursor;
    this.more.hidden = !page.hasNextPage;
    this.#renderList();
  }

  #renderList() {
    if (!this.#competitions.length) {
      setChildren(this.tbody, el("tr", { class: "empty" }, el("td", { colspan: "6" }, "No competitions yet.")));
      return;
    }
    setChildren(this.tbody, this.#competitions.map((c) => el("tr", { dataset: { competition: c.id }, "aria-selected": String(c.id === this.#selected) },
      el("th", { scope: "row" }, el("button", { type: "button", class: "link", onclick: () => this.onSelect(c.id) }, c.name)),
      el("td", {}, el("span", { class: "badge state", dataset: { state: c.status } }, c.status)),
      el("td", { class: "muted feed-cell", title: c.feedDescription }, `${c.feedKind} · ${c.feedDescription}`),
      el("td", { class: "num" }, formatInteger(c.round)),
      el("td", { class: "muted" }, formatDateTime(c.startedAt ?? c.createdAt)),
      el("td", {}, c.winner?.name ?? "—"))));
  }

  #placeholder(text) {
    this.#equity?.dispose();
    this.#equity = null;
    setChildren(this.detail, el("div", { class: "panel empty-panel" }, el("p", { class: "hint" }, text)));
  }

  async #show(id) {
    this.#selected = id;
    this.#renderList();
    let competition;
    try {
      competition = await this.api.competition(id);
    } catch (error) {
      this.log.error(`history: ${error.message}`);
      return;
    }
    if (!competition) {
      this.#placeholder(`No competition ${id}.`);
      return;
    }
    const board = competition.leaderboard;
    const agents = board.map((e) => ({ id: e.agent.id, name: e.agent.name }));
    this.#equity?.dispose();
    const parts = this.#layout(competition);
    setChildren(this.detail, parts.root);

    const table = new LeaderboardTable(parts.leaderboard, { caption: `Final standings of ${competition.name}`, animate: false, onAgent: this.onAgent });
    table.update(board);
    table.setWinner(competition.winner?.id ?? null);

    this.#equity = new EquityCurves({ canvas: parts.canvas, legend: parts.legend, unitButtons: parts.unitButtons, emptyText: "No rounds were played", onAgent: this.onAgent });
    this.#equity.reset({ startingCash: competition.startingCash });

    let cursor = null;
    const feed = new TradeFeed(parts.trades, {
      filterSelect: parts.filter, countLabel: parts.count, onAgent: this.onAgent,
      onFilter: () => loadTrades(true),
    });
    feed.setAgents(agents);
    const loadTrades = async (fresh) => {
      const page = await this.api.trades({ competitionId: id, agentId: feed.filter, first: 100, after: fresh ? null : cursor });
      cursor = page.endCursor;
      parts.more.hidden = !page.hasNextPage;
      if (fresh) feed.replace(page.trades, page.total);
      else feed.append(page.trades);
    };
    parts.more.addEventListener("click", () => loadTrades(false));

    try {
      const [histories] = await Promise.all([this.api.equityHistories(id), loadTrades(true)]);
      if (this.#selected === id) this.#equity.load(agents, histories);
    } catch (error) {
      this.log.error(`history: ${error.message}`);
    }
  }

  #layout(c) {
    const unitButtons = [
      el("button", { type: "button", dataset: { equityUnit: "usd" }, "aria-pressed": "true" }, "$"),
      el("button", { type: "button", dataset: { equityUnit: "pct" }, "aria-pressed": "false" }, "%"),
    ];
    const canvas = el("canvas", { role: "img", "aria-label": `Equity curves of ${c.name}` });
    const legend = el("ul", { class: "legend", "aria-label": "Agents" });
    const leaderboard = el("div", { class: "table-wrap" });
    const trades = el("div", { class: "trade-feed tall" });
    const filter = el("select", { "aria-label": "Filter trades by agent" });
    const count = el("span", { class: "hint" });
    const more = el("button", { type: "button", class: "ghost", hidden: true }, "Load more trades");
    const ended = c.endedAt ? ` → ${formatDateTime(c.endedAt)}` : "";
    const root = el("div", { class: "history-detail-grid", dataset: { competition: c.id } },
      el("section", { class: "panel summary", "aria-labelledby": "detail-title" },
        el("div", { class: "panel-head" },
          el("h2", { id: "detail-title" }, c.name),
          el("span", { class: "badge state", dataset: { state: c.status } }, c.status)),
        el("dl", { class: "facts" },
          el("dt", {}, "Winner"), el("dd", { class: "winner-name" }, ...(c.winner ? [el("span", { class: "trophy", "aria-hidden": "true" }), c.winner.name] : [c.status === "FINISHED" ? "—" : `none (${c.status.toLowerCase()})`])),
          el("dt", {}, "Feed"), el("dd", {}, `${c.feedKind} · ${c.feedDescription}`),
          el("dt", {}, "Rounds"), el("dd", { class: "num" }, formatInteger(c.round)),
          el("dt", {}, "Starting cash"), el("dd", { class: "num" }, formatMoney(c.startingCash)),
          el("dt", {}, "When (UTC)"), el("dd", {}, `${formatDateTime(c.startedAt ?? c.createdAt)}${ended}`))),
      el("section", { class: "panel", "aria-label": "Final leaderboard" },
        el("div", { class: "panel-head" }, el("h2", {}, "Final leaderboard")), leaderboard),
      el("section", { class: "panel", "aria-label": "Equity curves" },
        el("div", { class: "panel-head" }, el("h2", {}, "Equity curves"), el("div", { class: "segmented", role: "group", "aria-label": "Equity units" }, unitButtons)),
        el("div", { class: "chart-box tall" }, canvas), legend),
      el("section", { class: "panel", "aria-label": "Trades" },
        el("div", { class: "panel-head" }, el("h2", {}, "Trades"), count, el("label", { class: "compact" }, filter)), trades, more));
    return { root, canvas, legend, unitButtons, leaderboard, trades, filter, count, more };
  }
}

// An agent's closed trades: its sells, each with the PnL it realized, newest first, a page at a
// time ("Load more"); live trades (add) and refresh() put the newest on top.
// trades(agentId:) has no side filter, so pages of all the agent's trades are read and their
// sells kept (a few reads at most per page shown).

import { el, setChildren, setText } from "./dom.js";
import { signOf } from "./decimal.js";
import { formatClock, formatDateTime, formatInteger, formatMoney, formatPrice, formatQuantity } from "./format.js";

const READ = 100; // trades per request
const WANT = 20; // sells to gather for a page
const MAX_READS = 5; // requests per page at most

const HEADERS = [["When", ""], ["Symbol", ""], ["Quantity", "num"], ["Price", "num"], ["Realized PnL", "num"]];

function outcome(trade) {
  const sign = signOf(trade.realizedPnl);
  return sign > 0 ? "win" : sign < 0 ? "loss" : "flat";
}

export class ClosedTrades {
  #agentId = null;
  #cursor = null;
  #hasNext = false;
  #seen = new Set(); // ids of every trade read, buys too: a refresh that meets one left no gap
  #generation = 0; // bumped when the list starts over: older reads in flight are dropped

  constructor(container, { api, countLabel, onError = () => {} }) {
    this.api = api;
    this.onError = onError; // a page that could not be read
    this.countLabel = countLabel;
    this.tbody = el("tbody");
    this.more = el("button", { type: "button", class: "ghost small", hidden: true, onclick: () => this.loadMore() }, "Load more");
    const head = el("thead", {}, el("tr", {}, HEADERS.map(([label, cls]) => el("th", { scope: "col", class: cls }, label))));
    const table = el("table", { class: "closed-trades" }, el("caption", { class: "visually-hidden" }, "Closed trades, newest first"), head, this.tbody);
    container.replaceChildren(el("div", { class: "table-wrap" }, table), this.more);
  }

  /** Start over with this agent's newest closed trades. */
  async load(agentId) {
    this.#agentId = agentId;
    const generation = this.#startOver();
    this.#empty("Loading…");
    const page = await this.#read(null);
    if (generation === this.#generation) this.#show(page, false);
  }

  async loadMore() {
    const generation = this.#generation;
    this.more.disabled = true;
    try {
      const page = await this.#read(this.#cursor);
      if (generation === this.#generation) this.#show(page, true);
    } catch (error) {
      this.onError(error);
    } finally {
      this.more.disabled = false;
    }
  }

  /** Read the newest trades again: new sells go on top (the list starts over after a gap). */
  async refresh() {
    const generation = this.#generation;
    const page = await this.api.trades({ agentId: this.#agentId, first: READ });
    if (generation !== this.#generation) return;
    if (!page.trades.some((t) => this.#seen.has(t.id))) {
      this.#startOver();
      this.#show(this.#keepSells(page), false);
      return;
    }
    this.#prepend(page.trades.filter((t) => !this.#seen.has(t.id)));
  }

  /** A trade as it is filled: on top when it is a sell of this agent's not shown yet. */
  add(trade) {
    if (trade.agentId === this.#agentId && !this.#seen.has(trade.id)) this.#prepend([trade]);
  }

  /** Newer trades than any shown, newest first. */
  #prepend(trades) {
    for (const t of trades) this.#seen.add(t.id);
    const sells = trades.filter((t) => t.side === "SELL");
    if (!sells.length) return;
    this.tbody.querySelector("tr.empty")?.remove();
    this.tbody.prepend(...sells.map(row));
    this.#count();
  }

  #startOver() {
    this.#cursor = null;
    this.#hasNext = false;
    this.#seen.clear();
    return ++this.#generation;
  }

  /** Up to MAX_READS pages of the agent's trades after `after`, until WANT sells are found. */
  async #read(after) {
    const sells = [];
    let page = { endCursor: after, hasNextPage: true };
    for (let reads = 0; reads < MAX_READS && page.hasNextPage && sells.length < WANT; reads += 1) {
      page = await this.api.trades({ agentId: this.#agentId, first: READ, after: page.endCursor });
      sells.push(...this.#keepSells(page).sells);
    }
    return { sells, endCursor: page.endCursor, hasNextPage: page.hasNextPage };
  }

  #keepSells({ trades, endCursor, hasNextPage }) {
    for (const t of trades) this.#seen.add(t.id);
    return { sells: trades.filter((t) => t.side === "SELL"), endCursor, hasNextPage };
  }

  #show({ sells, endCursor, hasNextPage }, append) {
    this.#cursor = endCursor;
    this.#hasNext = hasNextPage;
    this.more.hidden = !hasNextPage;
    if (append) {
      if (sells.length) this.tbody.querySelector("tr.empty")?.remove();
      this.tbody.append(...sells.map(row));
    } else setChildren(this.tbody, sells.map(row));
    if (!this.tbody.querySelector("tr[data-id]")) this.#empty(hasNextPage ? "No sells among the latest trades: load more to look further back" : "No closed trades yet");
    this.#count();
  }

  #empty(text) {
    setChildren(this.tbody, el("tr", { class: "empty" }, el("td", { colspan: String(HEADERS.length) }, text)));
    setText(this.countLabel, "");
  }

  #count() {
    const n = this.tbody.querySelectorAll("tr[data-id]").length;
    if (!n) return;
    setText(this.countLabel, `${formatInteger(n)} closed trade${n === 1 ? "" : "s"}${this.#hasNext ? " shown" : ""}`);
  }
}

function row(trade) {
  const result = outcome(trade);
  return el("tr", { dataset: { id: trade.id, agent: trade.agentId, side: trade.side, outcome: result } },
    el("td", { class: "muted when", title: `round ${formatInteger(trade.round)}, ${formatDateTime(trade.executedAt)} UTC (feed time)` },
      `#${formatInteger(trade.round)}`, el("span", { class: "clock" }, ` · ${formatClock(trade.executedAt)}`)),
    el("th", { scope: "row" }, trade.symbol),
    el("td", { class: "num" }, formatQuantity(trade.quantity)),
    el("td", { class: "num" }, formatPrice(trade.price)),
    el("td", { class: `num pnl ${result}`, dataset: { col: "realizedPnl" } }, formatMoney(trade.realizedPnl, { sign: true })));
}

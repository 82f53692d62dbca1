// An agent's closed trades: its sells, each with the PnL it realized, newest first, a page at a
// time ("Load more"); live trades (add) and refresh() put the newest on top. The count is the
// server's (totalCount of trades(side: SELL)), kept up with the live sells since.

import { el, setChildren, setText } from "./dom.js";
import { signOf } from "./decimal.js";
import { formatClock, formatDateTime, formatInteger, formatMoney, formatPrice, formatQuantity } from "./format.js";

const PAGE = 20; // closed trades per request

const HEADERS = [["When", ""], ["Symbol", ""], ["Quantity", "num"], ["Price", "num"], ["Realized PnL", "num"]];

function outcome(trade) {
  const sign = signOf(trade.realizedPnl);
  return sign > 0 ? "win" : sign < 0 ? "loss" : "flat";
}

export class ClosedTrades {
  #agentId = null;
  #cursor = null;
  #total = 0;
  #seen = new Set(); // ids of the sells shown: a refresh that meets one left no gap
  #newest = 0; // the sequence number of the newest sell shown: only newer ones go on top
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
    setChildren(this.tbody, empty("Loading…"));
    setText(this.countLabel, "");
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

  /** Read the newest closed trades again: new ones go on top (the list starts over after a gap). */
  async refresh() {
    const generation = this.#generation;
    const page = await this.#read(null);
    if (generation !== this.#generation) return;
    const missing = page.trades.filter((t) => !this.#seen.has(t.id));
    const gap = !page.trades.some((t) => this.#seen.has(t.id)) || missing.some((t) => seqOf(t) < this.#newest);
    if (gap) {
      this.#startOver();
      this.#show(page, false);
      return;
    }
    this.#total = page.total;
    this.#prepend(missing, 0);
  }

  /** A trade as it is filled: on top when it is a sell of this agent's newer than any shown (an older
   *  one, e.g. replayed by a feed that re-synced, is already in the list or on a later page). */
  add(trade) {
    if (trade.agentId !== this.#agentId || trade.side !== "SELL" || this.#seen.has(trade.id)) return;
    if (seqOf(trade) > this.#newest) this.#prepend([trade], 1);
  }

  /** Newer closed trades than any shown, newest first; `added` of them not in the count yet. */
  #prepend(trades, added) {
    this.#total += added;
    if (trades.length) {
      for (const t of trades) this.#seen.add(t.id);
      this.#newest = Math.max(this.#newest, ...trades.map(seqOf));
      this.tbody.querySelector("tr.empty")?.remove();
      this.tbody.prepend(...trades.map(row));
    }
    this.#count();
  }

  #startOver() {
    this.#cursor = null;
    this.#seen.clear();
    this.#newest = 0;
    setChildren(this.tbody, []);
    return ++this.#generation;
  }

  #read(after) {
    return this.api.trades({ agentId: this.#agentId, side: "SELL", first: PAGE, after });
  }

  /** A page of closed trades below those shown, without the ones shown already. */
  #show({ trades, total, endCursor, hasNextPage }, append) {
    const rows = trades.filter((t) => !this.#seen.has(t.id));
    // a first page goes under the live sells added while it was read: the count has those it lacks
    const live = append ? 0 : this.#seen.size - (trades.length - rows.length);
    for (const t of rows) this.#seen.add(t.id);
    if (rows.length) this.#newest = Math.max(this.#newest, ...rows.map(seqOf));
    this.#cursor = endCursor;
    this.#total = total + live;
    this.more.hidden = !hasNextPage;
    if (rows.length) this.tbody.querySelector("tr.empty")?.remove();
    this.tbody.append(...rows.map(row));
    if (!this.tbody.querySelector("tr[data-id]")) setChildren(this.tbody, empty("No closed trades yet"));
    this.#count();
  }

  #count() {
    const n = this.#total;
    setText(this.countLabel, n ? `${formatInteger(n)} closed trade${n === 1 ? "" : "s"}` : "");
  }
}

/** A trade's sequence number in its competition, from its global id (base64 of "Trade:<competition>/<seq>"). */
function seqOf(trade) {
  const raw = atob(trade.id.replace(/-/g, "+").replace(/_/g, "/"));
  return Number(raw.slice(raw.lastIndexOf("/") + 1));
}

const empty = (text) => el("tr", { class: "empty" }, el("td", { colspan: String(HEADERS.length) }, text));

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

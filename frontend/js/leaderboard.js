// The leaderboard: a sortable table whose rows are keyed by agent, so live updates change
// cells in place, rows glide to their new places, and rank moves flash ▲ / ▼. With `onAgent`,
// a row (or its agent's name, a button for the keyboard) opens the agent view.

import { el, flash, setText } from "./dom.js";
import { agentColor } from "./colors.js";
import { addDecimals, signOf } from "./decimal.js";
import { formatFraction, formatInteger, formatMoney, formatNumber, formatPercent } from "./format.js";

const pnl = (e) => addDecimals(e.agent.realizedPnl, e.agent.unrealizedPnl);

const COLUMNS = [
  { key: "rank", label: "#", title: "Rank", numeric: true, value: (e) => e.rank },
  { key: "agent", label: "Agent", value: (e) => e.agent.name.toLowerCase() },
  { key: "strategy", label: "Strategy", value: (e) => e.agent.strategy },
  { key: "equity", label: "Equity", numeric: true, value: (e) => Number(e.equity), text: (e) => formatMoney(e.equity) },
  {
    key: "returnPct", label: "Return", numeric: true, value: (e) => e.returnPct,
    text: (e) => formatPercent(e.returnPct), sign: (e) => Math.sign(e.returnPct),
  },
  {
    key: "pnl", label: "PnL", title: "Realized + unrealized profit and loss", numeric: true,
    value: (e) => Number(pnl(e)), text: (e) => formatMoney(pnl(e), { sign: true }), sign: (e) => signOf(pnl(e)),
  },
  { key: "trades", label: "Trades", numeric: true, value: (e) => e.agent.tradeCount, text: (e) => formatInteger(e.agent.tradeCount) },
  {
    key: "winRate", label: "Win rate", title: "Winning sells / sells", numeric: true,
    value: (e) => e.agent.winRate, text: (e) => formatFraction(e.agent.winRate, 0),
  },
  { key: "scars", label: "Scars", title: "Losing sells", numeric: true, value: (e) => e.agent.scars, text: (e) => formatInteger(e.agent.scars) },
  { key: "status", label: "Status", value: (e) => e.agent.status },
  {
    key: "maxDrawdown", label: "Max DD", title: "Largest peak-to-trough fall of equity", numeric: true,
    value: (e) => e.agent.maxDrawdown, text: (e) => formatFraction(e.agent.maxDrawdown, 2),
  },
  {
    key: "sharpe", label: "Sharpe", title: "Mean / std of per-round returns (not annualized)", numeric: true,
    value: (e) => e.agent.sharpe, text: (e) => formatNumber(e.agent.sharpe, 3),
  },
];

function compare(column, direction) {
  return (a, b) => {
    const x = column.value(a);
    const y = column.value(b);
    if (x === null || x === undefined) return y === null || y === undefined ? a.rank - b.rank : 1; // blanks last
    if (y === null || y === undefined) return -1;
    const order = typeof x === "string" ? x.localeCompare(y) : x - y;
    return (direction === "asc" ? order : -order) || a.rank - b.rank;
  };
}

export class LeaderboardTable {
  #rows = new Map(); // agentId -> { tr, cells: Map key -> td, delta }
  #ranks = new Map();
  #entries = [];
  #sort = { key: "rank", direction: "asc" };
  #winner = null;

  constructor(container, { caption = "Leaderboard", animate = true, banner = null, onAgent = null } = {}) {
    this.banner = banner; // where to announce the winner, if anywhere
    this.onAgent = onAgent; // (agentId, button) -> opens the agent view
    this.animate = animate && !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    this.headers = new Map();
    const headRow = el("tr", {}, COLUMNS.map((c) => this.#header(c)));
    this.tbody = el("tbody");
    this.empty = el("tr", { class: "empty" }, el("td", { colspan: String(COLUMNS.length) }, "No standings yet"));
    this.tbody.append(this.empty);
    this.table = el("table", { class: "leaderboard" },
      el("caption", { class: "visually-hidden" }, caption), el("thead", {}, headRow), this.tbody);
    container.replaceChildren(this.table);
    this.#markSort();
  }

  get entries() {
    return this.#entries;
  }

  update(entries) {
    this.#entries = entries;
    const seen = new Set(entries.map((e) => e.agent.id));
    for (const [id, row] of this.#rows) {
      if (!seen.has(id)) {
        row.tr.remove();
        this.#rows.delete(id);
        this.#ranks.delete(id);
      }
    }
    for (const entry of entries) this.#fill(entry);
    this.#order();
  }

  clear(message = "No standings yet") {
    this.update([]);
    this.setWinner(null);
    this.empty.firstChild.textContent = message;
  }

  setWinner(agentId) {
    this.#winner = agentId;
    for (const [id, row] of this.#rows) row.tr.classList.toggle("winner", id === agentId);
    if (!this.banner) return;
    const winner = this.#entries.find((e) => e.agent.id === agentId);
    this.banner.hidden = !winner;
    this.banner.replaceChildren(...(winner ? [el("span", { class: "trophy", "aria-hidden": "true" }), `${winner.agent.name} wins with ${formatMoney(winner.equity)}`] : []));
  }

  #header(column) {
    const button = el("button", { type: "button", title: column.title, onclick: () => this.#sortBy(column) }, column.label);
    const th = el("th", { scope: "col", class: column.numeric ? "num" : "", dataset: { key: column.key } }, button);
    this.headers.set(column.key, th);
    return th;
  }

  #sortBy(column) {
    const same = this.#sort.key === column.key;
    const direction = same ? (this.#sort.direction === "asc" ? "desc" : "asc") : column.numeric && column.key !== "rank" ? "desc" : "asc";
    this.#sort = { key: column.key, direction };
    this.#markSort();
    this.#order();
  }

  #markSort() {
    for (const [key, th] of this.headers) {
      if (key === this.#sort.key) th.setAttribute("aria-sort", this.#sort.direction === "asc" ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
  }

  #fill(entry) {
    const id = entry.agent.id;
    let row = this.#rows.get(id);
    if (!row) row = this.#createRow(entry);
    for (const column of COLUMNS) {
      const td = row.cells.get(column.key);
      if (column.key === "rank" || column.key === "agent") continue;
      if (column.key === "status") {
        setText(td.firstChild, entry.agent.status);
        td.firstChild.dataset.status = entry.agent.status;
        continue;
      }
      setText(td, column.text ? column.text(entry) : column.value(entry));
      if (column.sign) td.dataset.sign = String(column.sign(entry));
    }
    setText(row.rankText, entry.rank);
    row.tr.dataset.rank = String(entry.rank);
    const before = this.#ranks.get(id);
    if (before !== undefined && before !== entry.rank) {
      const up = entry.rank < before;
      row.delta.textContent = `${up ? "▲" : "▼"}${Math.abs(before - entry.rank)}`;
      row.delta.dataset.dir = up ? "up" : "down";
      flash(row.delta, "show");
    }
    this.#ranks.set(id, entry.rank);
  }

  #createRow(entry) {
    const id = entry.agent.id;
    const cells = new Map();
    const rankText = el("span", {}, entry.rank);
    const delta = el("span", { class: "rank-delta", "aria-hidden": "true" });
    const name = this.onAgent
      ? el("button", { type: "button", class: "agent-name agent-link", title: `Details of ${entry.agent.name}` }, entry.agent.name)
      : el("span", { class: "agent-name" }, entry.agent.name);
    for (const column of COLUMNS) {
      let td;
      if (column.key === "rank") td = el("td", { class: "num rank" }, rankText, delta);
      else if (column.key === "agent") {
        td = el("th", { scope: "row", class: "agent" },
          el("span", { class: "swatch", style: { background: agentColor(id) }, "aria-hidden": "true" }),
          name,
          el("span", { class: "crown trophy", title: "Winner", role: "img", "aria-label": "winner" }));
      } else if (column.key === "status") td = el("td", {}, el("span", { class: "badge status" }));
      else td = el("td", { class: column.numeric ? "num" : "" });
      td.dataset.col = column.key;
      cells.set(column.key, td);
    }
    const tr = el("tr", { dataset: { agent: id } }, [...cells.values()]);
    if (this.onAgent) {
      tr.classList.add("opens");
      tr.addEventListener("click", () => this.onAgent(id, name)); // the name's clicks and keys bubble here
    }
    tr.classList.toggle("winner", id === this.#winner);
    const row = { tr, cells, rankText, delta };
    this.#rows.set(id, row);
    return row;
  }

  #order() {
    this.empty.hidden = this.#entries.length > 0;
    const column = COLUMNS.find((c) => c.key === this.#sort.key);
    const sorted = [...this.#entries].sort(compare(column, this.#sort.direction));
    const rows = sorted.map((e) => this.#rows.get(e.agent.id).tr);
    const current = [...this.tbody.querySelectorAll("tr[data-agent]")];
    if (rows.length === current.length && rows.every((tr, i) => tr === current[i])) return;
    const before = this.animate ? new Map(current.map((tr) => [tr, tr.getBoundingClientRect().top])) : null;
    this.tbody.append(...rows);
    if (before) glide(rows, before);
  }
}

/** FLIP: start each moved row where it was and let it slide to where it is now; climbers on top. */
function glide(rows, before) {
  for (const tr of rows) {
    const from = before.get(tr);
    if (from === undefined) continue;
    const dy = from - tr.getBoundingClientRect().top;
    if (!dy) continue;
    tr.classList.toggle("climbing", dy > 0);
    tr.animate([{ transform: `translateY(${dy}px)` }, { transform: "translateY(0)" }], { duration: 350, easing: "cubic-bezier(.2,.8,.2,1)" })
      .finished.then(() => tr.classList.remove("climbing"), () => {});
  }
}

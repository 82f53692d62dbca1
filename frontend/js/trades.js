// The trade feed (a list, two lines a trade): newest first, buys and sells in colour, sells marked win or loss by the sign
// of their realized PnL, filterable by agent; with `onAgent`, an agent's name opens the agent view.

import { el, setText } from "./dom.js";
import { agentColor } from "./colors.js";
import { signOf } from "./decimal.js";
import { formatClock, formatInteger, formatMoney, formatPrice, formatQuantity } from "./format.js";

function outcome(trade) {
  if (trade.side !== "SELL") return "";
  const sign = signOf(trade.realizedPnl);
  return sign > 0 ? "win" : sign < 0 ? "loss" : "flat";
}

export class TradeFeed {
  #filter = "";
  #total = 0;

  constructor(container, { filterSelect, countLabel = null, maxRows = 100, onFilter = () => {}, onAgent = null }) {
    this.filterSelect = filterSelect;
    this.onAgent = onAgent; // (agentId, button) -> opens the agent view
    this.countLabel = countLabel;
    this.maxRows = maxRows;
    this.list = el("ol", { class: "trades", "aria-label": "Trades, newest first" });
    this.empty = el("p", { class: "empty-note" }, "No trades yet");
    container.replaceChildren(this.list, this.empty);
    filterSelect.addEventListener("change", () => {
      this.#filter = filterSelect.value;
      onFilter(this.#filter);
    });
  }

  get filter() {
    return this.#filter;
  }

  /** agents: [{ id, name }] — the filter's options; keeps the current choice when it still exists. */
  setAgents(agents) {
    const keep = agents.some((a) => a.id === this.#filter) ? this.#filter : "";
    const options = [el("option", { value: "" }, "All agents"), ...agents.map((a) => el("option", { value: a.id }, a.name))];
    this.filterSelect.replaceChildren(...options);
    this.filterSelect.value = keep;
    this.#filter = keep;
  }

  /** Show these trades (newest first) and the total count behind them. */
  replace(trades, total = trades.length) {
    this.list.replaceChildren(...trades.slice(0, this.maxRows).map((t) => this.#row(t, false)));
    this.#setTotal(total);
  }

  /** A live trade: shown on top when it passes the filter. */
  add(trade) {
    if (this.#filter && trade.agentId !== this.#filter) return;
    this.list.prepend(this.#row(trade, true));
    while (this.list.childElementCount > this.maxRows) this.list.lastElementChild.remove();
    this.#setTotal(this.#total + 1);
  }

  /** Older trades (the next page) below those shown. */
  append(trades) {
    this.list.append(...trades.map((t) => this.#row(t, false)));
    this.empty.hidden = this.list.childElementCount > 0;
  }

  clear(message = "No trades yet") {
    this.empty.textContent = message;
    this.replace([], 0);
  }

  #setTotal(total) {
    this.#total = total;
    this.empty.hidden = this.list.childElementCount > 0;
    if (this.countLabel) setText(this.countLabel, `${formatInteger(total)} trade${total === 1 ? "" : "s"}`);
  }

  #row(trade, fresh) {
    const result = outcome(trade);
    const side = trade.side === "BUY" ? "buy" : "sell";
    const who = [
      el("span", { class: "swatch", style: { background: agentColor(trade.agentId) }, "aria-hidden": "true" }),
      el("span", { class: "agent-name" }, trade.agentName),
    ];
    const onclick = (event) => this.onAgent(trade.agentId, event.currentTarget);
    return el("li", { class: fresh ? "fresh" : "", dataset: { side, outcome: result, agent: trade.agentId, id: trade.id } },
      el("span", { class: `badge side ${side}` }, trade.side),
      this.onAgent
        ? el("button", { type: "button", class: "who agent-link", title: `Details of ${trade.agentName}`, onclick }, who)
        : el("span", { class: "who" }, who),
      el("span", { class: "symbol" }, trade.symbol),
      el("span", { class: `pnl num ${result}`, title: result ? `${result}: realized PnL of this sell` : "opens or adds to a position" },
        result ? formatMoney(trade.realizedPnl, { sign: true }) : ""),
      el("span", { class: "when muted", title: `round ${formatInteger(trade.round)}, feed time (UTC)` }, `#${formatInteger(trade.round)} · ${formatClock(trade.executedAt)}`),
      el("span", { class: "fill num" }, `${formatQuantity(trade.quantity)} @ ${formatPrice(trade.price)}`),
    );
  }
}

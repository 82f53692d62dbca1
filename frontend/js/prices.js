// A card per symbol: last price, change %, a sparkline; click one to chart it, or its bell to
// set a price alert at the current price.

import { el, flash, setText } from "./dom.js";
import { formatPercent, formatPrice } from "./format.js";
import { createSparkline, updateSparkline } from "./charts/sparkline.js";

const SPARK_POINTS = 60;

export class PriceCards {
  #cards = new Map(); // symbol -> { root, price, change, spark }
  #selected = null;

  constructor(container, { onSelect, onAlert = null }) {
    this.container = container;
    this.onSelect = onSelect;
    this.onAlert = onAlert;
  }

  /** Show exactly these symbols, in this order. */
  setSymbols(symbols) {
    for (const [symbol, card] of this.#cards) {
      if (!symbols.includes(symbol)) {
        card.root.remove();
        this.#cards.delete(symbol);
      }
    }
    symbols.forEach((symbol) => this.container.append(this.#card(symbol).root));
    if (!symbols.includes(this.#selected) && symbols.length) this.select(symbols[0]);
  }

  has(symbol) {
    return this.#cards.has(symbol);
  }

  select(symbol) {
    this.#selected = symbol;
    for (const [s, card] of this.#cards) card.button.setAttribute("aria-pressed", String(s === symbol));
    this.onSelect(symbol);
  }

  get selected() {
    return this.#selected;
  }

  update(tick, closes) {
    const card = this.#cards.get(tick.symbol);
    if (!card) return;
    const before = card.last;
    card.last = Number(tick.price);
    setText(card.price, formatPrice(tick.price));
    setText(card.change, formatPercent(tick.changePct));
    card.change.dataset.sign = String(Math.sign(tick.changePct));
    card.root.dataset.price = tick.price;
    if (before !== undefined && before !== card.last) flash(card.price, card.last > before ? "tick-up" : "tick-down");
    updateSparkline(card.spark, closes.slice(-SPARK_POINTS));
  }

  #card(symbol) {
    if (this.#cards.has(symbol)) return this.#cards.get(symbol);
    const price = el("span", { class: "price num" }, "—");
    const change = el("span", { class: "change num", dataset: { sign: "0" } }, "");
    const spark = createSparkline(`${symbol} recent prices`);
    const button = el("button", {
      type: "button", class: "price-card-button", "aria-pressed": "false",
      "aria-label": `Chart ${symbol}`, onclick: () => this.select(symbol),
    }, el("span", { class: "symbol" }, symbol), price, change, spark);
    const root = el("div", { class: "price-card", role: "listitem", dataset: { symbol } }, button);
    if (this.onAlert) {
      root.append(el("button", {
        type: "button", class: "card-alert", title: `Price alert on ${symbol}`, "aria-label": `Price alert on ${symbol}`,
        onclick: () => this.onAlert(symbol, root.dataset.price ?? ""),
      }, el("span", { class: "bell", "aria-hidden": "true" })));
    }
    const card = { root, button, price, change, spark, last: undefined };
    this.#cards.set(symbol, card);
    return card;
  }
}


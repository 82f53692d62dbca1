// An agent's open positions: symbol, quantity, average entry, last price and unrealized PnL
// (marked at its competition's latest prices), Decimal strings shown exactly.

import { el, setChildren } from "./dom.js";
import { signOf } from "./decimal.js";
import { formatMoney, formatPrice, formatQuantity } from "./format.js";

// [label, class]; a label's wide-only part is left unseen (not unread) on a phone
const HEADERS = [["Symbol", ""], ["Quantity", "num"], ["Avg entry", "num"], ["Last", "num"], [["Unrealized ", "PnL"], "num"]];
const label = (text) => (Array.isArray(text) ? [el("span", { class: "wide-only" }, text[0]), text[1]] : text);

export class PositionsTable {
  constructor(container) {
    this.tbody = el("tbody");
    const head = el("thead", {}, el("tr", {}, HEADERS.map(([text, cls]) => el("th", { scope: "col", class: cls }, label(text)))));
    container.replaceChildren(el("table", { class: "positions" }, el("caption", { class: "visually-hidden" }, "Open positions"), head, this.tbody));
    this.show([]);
  }

  /** positions: [{ symbol, quantity, averagePrice, marketPrice, unrealizedPnl }] */
  show(positions, emptyText = "No open positions") {
    if (!positions.length) {
      setChildren(this.tbody, el("tr", { class: "empty" }, el("td", { colspan: String(HEADERS.length) }, emptyText)));
      return;
    }
    setChildren(this.tbody, positions.map((p) => el("tr", { dataset: { symbol: p.symbol } },
      el("th", { scope: "row" }, p.symbol),
      el("td", { class: "num", dataset: { col: "quantity" } }, formatQuantity(p.quantity)),
      el("td", { class: "num", dataset: { col: "averagePrice" } }, formatPrice(p.averagePrice)),
      el("td", { class: "num", dataset: { col: "marketPrice" } }, formatPrice(p.marketPrice)),
      el("td", { class: "num", dataset: { col: "unrealizedPnl", sign: String(signOf(p.unrealizedPnl)) } },
        formatMoney(p.unrealizedPnl, { sign: true })))));
  }
}

// The alerts panel (operator only): the rules with their channels, each rule's last deliveries
// (attempts, status codes, errors), a form for new rules, and fired alerts as they come — a list
// here and a toast. The list is read from `firedAlerts` after every (re)connection and then
// grows from the `alerts` subscription, so nothing fired while away is missing.

import { AlertForm, KINDS } from "./alert-form.js";
import { el, setChildren, setText } from "./dom.js";
import { formatClock, formatDateTime, formatDecimal, formatPrice } from "./format.js";

const MAX_FIRED = 50;
const DELIVERIES_SHOWN = 5;
const PENDING_POLL_MS = 2000;
const CONFIRM_MS = 4000;
const KIND_LABELS = Object.fromEntries(KINDS.map((k) => [k.kind, k.label]));

export class AlertsPanel {
  #rules = new Map(); // id -> { rule, node, deliveries: { node, open, timer } }
  #fired = new Map(); // fired id -> node
  #agentNames = new Map();
  #generation = 0; // of reads: only the newest one's answer is shown (the token may have changed meanwhile)

  constructor(root, { api, log, toasts, hasToken }) {
    Object.assign(this, { api, log, toasts, hasToken });
    this.status = el("p", { class: "hint alerts-status", role: "status" });
    this.form = new AlertForm({ onSubmit: (input) => this.#create(input) });
    this.rulesList = el("ul", { id: "alert-rules", class: "alert-rules", "aria-label": "Alert rules" });
    this.firedList = el("ol", { id: "fired-alerts", class: "fired-alerts", "aria-label": "Fired alerts", "aria-live": "off" });
    root.append(
      this.status,
      el("div", { class: "alerts-body" },
        el("div", { class: "alerts-column" }, el("h3", {}, "New alert"), this.form.node),
        el("div", { class: "alerts-column" }, el("h3", {}, "Rules"), this.rulesList),
        el("div", { class: "alerts-column" }, el("h3", {}, "Fired"), this.firedList)));
    this.#empty(this.rulesList, "No rules yet.");
    this.#empty(this.firedList, "Nothing fired yet.");
  }

  setSymbols(symbols) {
    this.form.setSymbols(symbols);
  }

  /** agents: [{ id, name }] of the current competition. */
  setAgents(agents) {
    for (const a of agents) this.#agentNames.set(a.id, a.name);
    this.form.setAgents(agents);
    for (const { rule, node } of this.#rules.values()) {
      if (rule.agentId) setText(node.querySelector(".alert-condition"), describe(rule, this.#agentNames));
    }
  }

  /** From a price card: a price alert on `symbol` at its current price. */
  prefill(symbol, price) {
    this.form.prefill(symbol, price);
  }

  /** Re-read rules and fired alerts (on connect, on a token change); an older read still on its way is ignored. */
  reload() {
    return this.#load(++this.#generation);
  }

  /** An AlertEvent from the subscription. */
  onFired(event) {
    const fired = { id: event.id, alertId: event.alert.id, kind: event.alert.kind, message: event.message, at: event.at };
    if (this.#fired.has(fired.id)) return;
    this.#addFired(fired, { newest: true });
    this.toasts.show(KIND_LABELS[fired.kind] ?? fired.kind, fired.message, { kind: "alert" });
    const entry = this.#rules.get(fired.alertId);
    if (entry?.deliveries.open) this.#loadDeliveries(entry);
  }

  /** The subscription was refused (no or a wrong token). */
  refused(errors) {
    if (this.hasToken()) setText(this.status, `Alerts: ${errors?.[0]?.message ?? "refused"}`);
  }

  async #load(generation) {
    if (!this.hasToken()) {
      setText(this.status, "Alerts are for the operator: paste the operator token in Controls.");
      this.form.setEnabled(false, "Needs the operator token.");
      this.#showRules([]);
      this.#showFired([]);
      return;
    }
    try {
      const [rules, fired] = await Promise.all([this.api.alerts(), this.api.firedAlerts(MAX_FIRED)]);
      if (generation !== this.#generation) return;
      setText(this.status, "");
      this.form.setEnabled(true);
      this.#showRules(rules);
      this.#showFired(fired);
    } catch (error) {
      if (generation !== this.#generation) return;
      setText(this.status, `Alerts: ${error.message}`);
      this.form.setEnabled(error.code !== "UNAUTHENTICATED" && error.code !== "FORBIDDEN", "");
    }
  }

  async #create(input) {
    const payload = await this.api.createAlert(input);
    if (!payload.userErrors.length) {
      this.log.info(`alert created: ${describe(payload.alert, this.#agentNames)}`);
      this.#addRule(payload.alert);
    }
    return payload;
  }

  // --- rules ---------------------------------------------------------------------------

  #showRules(rules) {
    for (const entry of this.#rules.values()) clearTimeout(entry.deliveries.timer);
    this.#rules.clear();
    setChildren(this.rulesList);
    if (!rules.length) this.#empty(this.rulesList, "No rules yet.");
    for (const rule of rules) this.#addRule(rule);
  }

  #addRule(rule) {
    if (this.#rules.has(rule.id)) return;
    this.rulesList.querySelector(".empty-note")?.remove();
    const deliveries = { node: el("div", { class: "deliveries", id: `deliveries-${rule.id}`, hidden: true }), open: false, timer: 0, request: 0 };
    const conditionId = `alert-condition-${rule.id}`;
    const toggle = el("button", {
      type: "button", class: "ghost small", "aria-expanded": "false", "aria-controls": deliveries.node.id,
      "aria-describedby": conditionId, onclick: () => this.#toggleDeliveries(entry, toggle),
    }, "Deliveries");
    const remove = el("button", { type: "button", class: "danger small", "aria-describedby": conditionId, onclick: () => this.#delete(entry, remove) }, "Delete");
    const channels = ["live", rule.webhookTarget && `webhook ${rule.webhookTarget}`, ...rule.appriseTargets.map((t) => `apprise ${t}`)].filter(Boolean);
    const node = el("li", { class: "alert-rule", dataset: { alert: rule.id, kind: rule.kind } },
      el("div", { class: "alert-rule-head" },
        el("span", { class: "badge alert-kind" }, KIND_LABELS[rule.kind] ?? rule.kind),
        el("strong", { class: "alert-condition", id: conditionId }, describe(rule, this.#agentNames)),
        el("span", { class: "alert-actions" }, toggle, remove)),
      el("p", { class: "hint alert-channels" }, channels.join(" · "), rule.cooldownSeconds ? ` · cooldown ${rule.cooldownSeconds} s` : ""),
      deliveries.node);
    const entry = { rule, node, deliveries };
    this.#rules.set(rule.id, entry);
    this.rulesList.append(node);
  }

  // Two clicks: the first arms the button for a few seconds, the second deletes.
  async #delete(entry, button) {
    if (button.dataset.armed !== "true") {
      button.dataset.armed = "true";
      setText(button, "Confirm delete");
      setTimeout(() => {
        button.dataset.armed = "false";
        setText(button, "Delete");
      }, CONFIRM_MS);
      return;
    }
    button.disabled = true;
    try {
      const errors = await this.api.deleteAlert(entry.rule.id);
      if (errors.length && errors[0].code !== "NOT_FOUND") throw new Error(`${errors[0].message} (${errors[0].code})`);
      const current = this.#rules.get(entry.rule.id) ?? entry; // a reload meanwhile may have rebuilt the row
      clearTimeout(current.deliveries.timer);
      this.#rules.delete(entry.rule.id);
      current.node.remove();
      entry.node.remove();
      if (!this.#rules.size) this.#empty(this.rulesList, "No rules yet.");
      this.log.info(`alert deleted: ${describe(entry.rule, this.#agentNames)}`);
    } catch (error) {
      button.disabled = false;
      setText(this.status, `Could not delete: ${error.message}`);
    }
  }

  #toggleDeliveries(entry, toggle) {
    const open = !entry.deliveries.open;
    entry.deliveries.open = open;
    entry.deliveries.node.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    clearTimeout(entry.deliveries.timer);
    if (open) this.#loadDeliveries(entry);
  }

  // While a delivery is pending (retrying), re-read: delivery outcomes are not pushed.
  async #loadDeliveries(entry) {
    const { deliveries } = entry;
    clearTimeout(deliveries.timer);
    const request = ++deliveries.request; // only the newest answer renders and polls on
    let rows;
    try {
      rows = await this.api.alertDeliveries(entry.rule.id, DELIVERIES_SHOWN);
    } catch (error) {
      if (request === deliveries.request) setChildren(deliveries.node, el("p", { class: "field-error" }, `deliveries: ${error.message}`));
      return;
    }
    if (request !== deliveries.request || !deliveries.open || this.#rules.get(entry.rule.id) !== entry) return;
    clearTimeout(deliveries.timer);
    setChildren(deliveries.node, rows.length ? deliveryTable(rows) : el("p", { class: "empty-note" }, entry.rule.webhookTarget || entry.rule.appriseTargets.length ? "No deliveries yet." : "Live only: no webhook or Apprise URL."));
    if (rows.some((d) => d.status === "PENDING")) deliveries.timer = setTimeout(() => this.#loadDeliveries(entry), PENDING_POLL_MS);
  }

  // --- fired ---------------------------------------------------------------------------

  // The stored list, merged with what the stream brought while it was read (newer than its newest).
  #showFired(fired) {
    const newest = fired.length ? Number(fired[0].id) : 0;
    const streamed = [...this.firedList.querySelectorAll("li.fired-alert")].filter((node) => Number(node.dataset.fired) > newest);
    this.#fired.clear();
    setChildren(this.firedList);
    for (const node of streamed) {
      this.#fired.set(node.dataset.fired, node);
      this.firedList.append(node);
    }
    for (const f of fired) this.#addFired(f, { newest: false });
    if (!this.#fired.size) this.#empty(this.firedList, "Nothing fired yet.");
  }

  #addFired(fired, { newest }) {
    this.firedList.querySelector(".empty-note")?.remove();
    const node = el("li", { class: "fired-alert", dataset: { fired: fired.id, alert: fired.alertId, kind: fired.kind } },
      el("time", { datetime: fired.at, title: `feed time ${formatDateTime(fired.at)}` }, formatClock(fired.at)),
      el("span", { class: "badge alert-kind" }, KIND_LABELS[fired.kind] ?? fired.kind),
      el("span", { class: "message" }, fired.message));
    this.#fired.set(fired.id, node);
    if (newest) this.firedList.prepend(node);
    else this.firedList.append(node);
    while (this.firedList.childElementCount > MAX_FIRED) {
      const last = this.firedList.lastElementChild;
      this.#fired.delete(last.dataset.fired);
      last.remove();
    }
  }

  #empty(list, text) {
    list.append(el("li", { class: "empty-note" }, text));
  }
}

/** A rule's condition in words: "BTC-USD above 43,000.00". */
export function describe(rule, agentNames = new Map()) {
  const agent = rule.agentId ? agentNames.get(rule.agentId) ?? rule.agentId : "any agent";
  switch (rule.kind) {
    case "PRICE_ABOVE":
      return `${rule.symbol} above ${formatPrice(rule.threshold)}`;
    case "PRICE_BELOW":
      return `${rule.symbol} below ${formatPrice(rule.threshold)}`;
    case "PRICE_CHANGE_PCT":
      return `${rule.symbol} moves ${rule.percent}% within ${rule.windowSeconds} s`;
    case "AGENT_DRAWDOWN":
      return `${agent} down ${rule.percent}% from its peak`;
    case "AGENT_TRADE":
      return rule.minNotional ? `${agent} trades ${formatDecimal(rule.minNotional)} or more` : `${agent} trades`;
    case "COMPETITION_FINISHED":
      return "a competition finishes";
    case "FEED_STALE":
      return "the live feed goes stale";
    default:
      return rule.kind;
  }
}

function deliveryTable(rows) {
  return el("table", { class: "deliveries-table" },
    el("thead", {}, el("tr", {},
      el("th", { scope: "col", title: "When the event that fired it happened (feed time)" }, "Fired"),
      ["Channel", "Status", "Tries"].map((h) => el("th", { scope: "col" }, h)),
      el("th", { scope: "col", title: "The last attempt's answer; times are this computer's clock" }, "Result"))),
    el("tbody", {}, rows.map((d) => el("tr", { dataset: { delivery: d.id, status: d.status } },
      el("td", {}, formatClock(d.firedAt)),
      el("td", { title: d.target }, d.channel.toLowerCase()),
      el("td", {}, el("span", { class: "badge delivery-status", dataset: { status: d.status } }, d.status.toLowerCase())),
      el("td", { class: "num" }, String(d.attempts)),
      el("td", { class: "result", title: d.lastError ?? "" }, result(d))))));
}

/** What the last attempt got, and what happens next. */
function result(d) {
  const answer = d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : d.lastError ?? "";
  if (d.status === "DELIVERED") return `${answer || "delivered"} at ${formatClock(d.deliveredAt)}`;
  if (d.status === "PENDING") {
    const next = d.nextAttemptAt ? `${d.attempts ? "retry" : "send"} ${formatClock(d.nextAttemptAt)}` : "sending";
    return answer ? `${answer}; ${next}` : next;
  }
  return answer || "failed";
}

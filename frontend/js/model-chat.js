// The model chat: each model agent's latest decisions, newest first — its status, reasoning,
// actions and what became of them (a fill or a rejection), latency and tokens; the whole prompt
// and raw answer on demand. Decisions are keyed by id: a re-read after a reconnect and the live
// stream may overlap, and each decision still shows once. Whatever the model wrote is untrusted
// and goes in as text, never as markup (dom.js builds no HTML from strings).

import { el, setText } from "./dom.js";
import { agentColor } from "./colors.js";
import { formatClock, formatFraction, formatInteger, formatNumber, formatPrice, formatQuantity } from "./format.js";

export const MODEL_STRATEGY = "llm";

const STATUS_TITLES = {
  EXECUTED: "The answer was carried out",
  ERROR: "No usable answer: the agent held",
  LATE: "Answered after a newer decision was asked for: not executed",
  RESTING: "Answered while the agent rested: recorded, not executed",
};

// an executed action that made no order: a sell with nothing held, a buy with no room under the cap (or no cash)
const NO_ORDER = { BUY: { kind: "none", text: "no order" }, SELL: { kind: "none", text: "nothing to sell" } };

const SHARE_OF = { BUY: "share of equity", SELL: "share of the position" };

function formatLatency(ms) {
  return ms < 1000 ? `${formatInteger(ms)} ms` : `${formatNumber(ms / 1000, 1)} s`;
}

// 0.2 -> "20%", 0.125 -> "12.5%"
function formatShare(fraction) {
  const percent = fraction * 100;
  return formatFraction(fraction, Math.abs(percent - Math.round(percent)) < 1e-9 ? 0 : 1);
}

function actionText(action) {
  const parts = [action.action, action.symbol];
  if (action.action !== "HOLD") parts.push(formatShare(action.fraction));
  const confidence = action.confidence === null || action.confidence === undefined ? "" : ` · conf ${formatNumber(action.confidence, 2)}`;
  return `${parts.join(" ")}${confidence}`;
}

function orderOutcome(order) {
  if (order.filled) return { kind: "filled", text: `filled ${formatQuantity(order.filledQuantity)} @ ${formatPrice(order.price)}` };
  const code = order.rejectionCode ? ` [${order.rejectionCode}]` : "";
  return { kind: "rejected", text: `rejected: ${order.rejectionReason ?? "no reason given"}${code}` };
}

/** Each action with the order it made (same symbol and side), then any order no action claims. */
function actionLines(decision) {
  const orders = [...decision.orders];
  const lines = decision.actions.map((action) => {
    const at = orders.findIndex((o) => o.symbol === action.symbol && o.side === action.action);
    const order = at >= 0 ? orders.splice(at, 1)[0] : null;
    return { action, order };
  });
  return [...lines, ...orders.map((order) => ({ action: null, order }))];
}

function costText(decision) {
  const parts = [formatLatency(decision.latencyMs)];
  if (decision.promptTokens !== null || decision.completionTokens !== null) {
    parts.push(`${formatInteger(decision.promptTokens ?? 0)} + ${formatInteger(decision.completionTokens ?? 0)} tokens`);
  }
  if (decision.attempts > 1) parts.push(`${decision.attempts} attempts`);
  return parts.join(" · ");
}

function decisionItem(decision, fresh) {
  const status = decision.status;
  const when = el("span", {
    class: "decision-round muted",
    title: `asked at round ${formatInteger(decision.askedRound)}, recorded at round ${formatInteger(decision.round)} (feed time, UTC)`,
  }, `#${formatInteger(decision.round)} · ${formatClock(decision.at)}`);
  const head = el("div", { class: "decision-head" },
    el("span", { class: "badge decision-status", dataset: { status }, title: STATUS_TITLES[status] ?? status }, status),
    when,
    el("span", { class: "decision-model", title: "Model" }, decision.model),
    el("span", { class: "decision-cost muted num", title: "Latency · prompt + completion tokens" }, costText(decision)));

  const body = [];
  if (decision.error) body.push(el("p", { class: "decision-error" }, decision.error));
  if (status === "LATE") body.push(el("p", { class: "decision-note muted" }, STATUS_TITLES.LATE));
  if (decision.reasoning) body.push(el("p", { class: "decision-reasoning" }, decision.reasoning));
  if (decision.actions.length || decision.orders.length) body.push(actionList(decision));
  body.push(rawDetails(decision));
  return el("li", { class: `decision${fresh ? " fresh" : ""}`, dataset: { id: decision.id, seq: String(decision.seq), status } }, head, body);
}

// "BUY BTC-USD 20% · conf 0.70" and, beside it, what came of it
function actionList(decision) {
  return el("ul", { class: "decision-actions", "aria-label": "Actions" }, actionLines(decision).map(({ action, order }) => {
    const kind = action?.action ?? order.side;
    const outcome = order ? orderOutcome(order) : decision.status === "EXECUTED" ? NO_ORDER[kind] ?? null : null;
    return el("li", { dataset: { action: kind, symbol: action?.symbol ?? order.symbol } },
      el("span", { class: "decision-action", title: SHARE_OF[kind] ?? null }, action ? actionText(action) : `${order.side} ${order.symbol}`),
      outcome && el("span", { class: "decision-outcome", dataset: { outcome: outcome.kind } }, outcome.text));
  }));
}

// The prompt can be long: it is put in the page only when asked for.
function rawDetails(decision) {
  const details = el("details", { class: "decision-raw" }, el("summary", {}, "Prompt and raw answer"));
  details.addEventListener("toggle", () => {
    if (!details.open || details.childElementCount > 1) return;
    details.append(
      el("h4", {}, "Prompt"),
      el("pre", { class: "decision-prompt" }, decision.prompt),
      el("h4", {}, "Raw answer"),
      el("pre", { class: "decision-response" }, decision.response ?? "(no answer came)"));
  });
  return details;
}

class AgentColumn {
  #decisions = new Map(); // id -> decision, the latest `max` by seq
  #items = new Map(); // id -> li, kept so an open <details> stays open across updates
  #total = 0;

  constructor(agent, { max, onAgent }) {
    this.max = max;
    this.list = el("ol", { class: "decisions", "aria-label": `Decisions of ${agent.name}, newest first` });
    this.empty = el("p", { class: "empty-note" }, "No decisions yet");
    this.count = el("span", { class: "hint" });
    this.model = el("span", { class: "muted model-name" });
    const who = [
      el("span", { class: "swatch", style: { background: agentColor(agent.id) }, "aria-hidden": "true" }),
      el("span", { class: "agent-name" }, agent.name),
    ];
    const name = onAgent
      ? el("button", { type: "button", class: "agent-link", title: `Details of ${agent.name}`, onclick: (e) => onAgent(agent.id, e.currentTarget) }, who)
      : el("span", {}, who);
    this.node = el("section", { class: "model-agent", dataset: { agent: agent.id }, "aria-label": `Model agent ${agent.name}` },
      el("h3", { class: "model-agent-head" }, name, this.model, this.count), this.list, this.empty);
    this.#render();
  }

  /** The query's page (newest first) and its total; live decisions newer than the page are kept. */
  load(decisions, total) {
    for (const decision of decisions) this.#decisions.set(decision.id, decision);
    const newestRead = Math.max(-Infinity, ...decisions.map((d) => d.seq));
    this.#total = total + [...this.#decisions.values()].filter((d) => d.seq > newestRead).length;
    this.#render();
  }

  add(decision) {
    if (this.#decisions.has(decision.id)) return;
    const shown = [...this.#decisions.values()];
    if (shown.length >= this.max && shown.every((d) => d.seq > decision.seq)) return; // older than all shown: already counted
    this.#decisions.set(decision.id, decision);
    this.#total += 1;
    this.#render(decision.id);
  }

  #render(freshId = null) {
    const latest = [...this.#decisions.values()].sort((a, b) => b.seq - a.seq).slice(0, this.max);
    const keep = new Set(latest.map((d) => d.id));
    for (const id of [...this.#decisions.keys()]) {
      if (!keep.has(id)) {
        this.#decisions.delete(id);
        this.#items.delete(id);
      }
    }
    for (const decision of latest) {
      if (!this.#items.has(decision.id)) this.#items.set(decision.id, decisionItem(decision, decision.id === freshId));
    }
    this.list.replaceChildren(...latest.map((d) => this.#items.get(d.id)));
    this.empty.hidden = latest.length > 0;
    setText(this.model, latest[0]?.model ?? "");
    setText(this.count, this.#total ? `${formatInteger(this.#total)} decision${this.#total === 1 ? "" : "s"}` : "");
  }
}

export class ModelChat {
  #columns = new Map(); // agentId -> AgentColumn

  constructor(container, { maxDecisions = 10, onAgent = null } = {}) {
    this.maxDecisions = maxDecisions;
    this.onAgent = onAgent;
    this.grid = el("div", { class: "model-agents" });
    this.note = el("p", { class: "empty-note" });
    container.replaceChildren(this.note, this.grid);
    this.reset("No competition yet: start one from the controls.");
  }

  /** Forget every agent and decision (another competition), saying why the panel is empty. */
  reset(message) {
    this.#columns.clear();
    this.grid.replaceChildren();
    this.#say(message);
  }

  /** agents: [{ id, name }] — the competition's model agents (none: the panel says so). */
  setAgents(agents) {
    for (const agent of agents) this.#column(agent);
    if (!this.#columns.size) this.#say("No model agents in this competition.");
  }

  load(agentId, decisions, total) {
    this.#columns.get(agentId)?.load(decisions, total);
  }

  /** A live decision of the current competition. */
  add(decision) {
    this.#column({ id: decision.agentId, name: decision.agentName }).add(decision);
  }

  #column(agent) {
    let column = this.#columns.get(agent.id);
    if (!column) {
      column = new AgentColumn(agent, { max: this.maxDecisions, onAgent: this.onAgent });
      this.#columns.set(agent.id, column);
      this.grid.append(column.node);
      this.#say("");
    }
    return column;
  }

  #say(message) {
    setText(this.note, message);
    this.note.hidden = !message;
  }
}

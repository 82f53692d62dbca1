// Equity curves, one line per agent, in $ or %: history from equityHistory, then a point per
// leaderboard update (keyed by round, so a late or repeated update replaces rather than adds).
// The legend (optional) names the agents; with `onAgent`, a name opens the agent view.

import { el, setText } from "./dom.js";
import { agentColor } from "./colors.js";
import { formatMoney, formatNumber, formatPercent, formatTick } from "./format.js";
import { LineLayer } from "./charts/line-layer.js";
import { Plot } from "./charts/plot.js";

const MAX_POINTS = 2000;

export class EquityCurves {
  #agents = new Map(); // id -> { id, name, points: [{ round, equity, pct }], legendValue }
  #unit = "usd";
  #startingCash = null;

  constructor({ canvas, legend = null, unitButtons, emptyText = "No competition yet", onAgent = null }) {
    this.legend = legend;
    this.onAgent = onAgent; // (agentId, button) -> opens the agent view
    this.unitButtons = unitButtons;
    const pct = () => this.#unit === "pct";
    this.plot = new Plot(canvas, {
      formatX: (round) => formatNumber(round, 0),
      formatY: (v, step) => formatTick(v, step) + (pct() ? "%" : ""),
      emptyText,
    });
    this.lines = new LineLayer(this.plot, {
      formatValue: (v) => (pct() ? formatPercent(v) : formatMoney(v)),
      formatTitle: (round) => `round ${formatNumber(round, 0)}`,
    });
    this.plot.show(this.lines);
    for (const button of unitButtons) {
      button.addEventListener("click", () => this.setUnit(button.dataset.equityUnit));
    }
  }

  dispose() {
    this.plot.dispose();
  }

  setUnit(unit) {
    this.#unit = unit;
    for (const b of this.unitButtons) b.setAttribute("aria-pressed", String(b.dataset.equityUnit === unit));
    this.#render();
  }

  /** Forget everything (a different competition). */
  reset({ startingCash = null, emptyText } = {}) {
    this.#agents.clear();
    this.#startingCash = startingCash === null ? null : Number(startingCash);
    this.legend?.replaceChildren();
    if (emptyText) this.plot.setEmptyText(emptyText);
    this.#render();
  }

  /** agents: [{ id, name }]; histories: Map agentId -> [{ round, equity, returnPct }] oldest first. */
  load(agents, histories) {
    for (const { id, name } of agents) {
      const agent = this.#agent(id, name);
      const loaded = (histories.get(id) ?? []).map((p) => ({ round: p.round, equity: Number(p.equity), pct: p.returnPct }));
      const lastLoaded = loaded.length ? loaded[loaded.length - 1].round : -Infinity;
      agent.points = [...loaded, ...agent.points.filter((p) => p.round > lastLoaded)];
      thin(agent.points);
    }
    this.#render();
  }

  /** Leaderboard entries at `round`. */
  addStandings(entries, round) {
    for (const entry of entries) {
      const agent = this.#agent(entry.agent.id, entry.agent.name);
      const point = { round, equity: Number(entry.equity), pct: entry.returnPct };
      const last = agent.points[agent.points.length - 1];
      if (last && last.round === round) agent.points[agent.points.length - 1] = point;
      else if (!last || round > last.round) agent.points.push(point);
      thin(agent.points);
    }
    this.#render();
  }

  #agent(id, name) {
    if (!this.#agents.has(id)) {
      const value = el("span", { class: "legend-value num" }, "—");
      const label = [el("span", { class: "swatch", style: { background: agentColor(id) }, "aria-hidden": "true" }),
        el("span", { class: "legend-name" }, name), value];
      const onclick = (event) => this.onAgent(id, event.currentTarget);
      this.legend?.append(el("li", { dataset: { agent: id } },
        this.onAgent ? el("button", { type: "button", class: "agent-link", title: `Details of ${name}`, onclick }, label) : label));
      this.#agents.set(id, { id, name, points: [], legendValue: value });
    }
    return this.#agents.get(id);
  }

  #render() {
    const pct = this.#unit === "pct";
    const series = [...this.#agents.values()].map((a) => ({
      id: a.id,
      label: a.name,
      color: agentColor(a.id),
      points: a.points.map((p) => [p.round, pct ? p.pct : p.equity]),
    }));
    for (const a of this.#agents.values()) {
      const last = a.points[a.points.length - 1];
      setText(a.legendValue, last ? (pct ? formatPercent(last.pct) : formatMoney(last.equity)) : "—");
    }
    const baseline = pct ? 0 : this.#startingCash;
    this.lines.setSeries(series, { baseline });
  }
}

/** Keep long curves bounded, the recent half exact. In the older half, first drop the points inside
 * a flat run (the line through its ends is the same line: the history's points are such ends), and
 * only if that is not enough, every other point. */
function thin(points) {
  if (points.length <= MAX_POINTS) return;
  const half = Math.floor(points.length / 2);
  const older = points.slice(0, half);
  const last = older.length - 1;
  const bends = older.filter(
    (p, i) => i === 0 || i === last || p.equity !== older[i - 1].equity || p.equity !== older[i + 1].equity,
  );
  const kept = points.length - half + bends.length <= MAX_POINTS ? bends : bends.filter((_, i) => i % 2 === 0);
  points.splice(0, half, ...kept);
}

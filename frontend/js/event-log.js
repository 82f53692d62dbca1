// The event log: state changes, rounds, finishes, rejections and connection news, newest
// first, the last 100. Consecutive round events share one line that keeps counting.
// Lines show when they arrived (local time); the event's own time (feed time for rounds) is
// in the tooltip.

import { el, setText } from "./dom.js";
const pad = (n) => String(n).padStart(2, "0");
const localClock = (d = new Date()) => `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;

const LABELS = { STATE_CHANGED: "state", ROUND_COMPLETED: "round", FINISHED: "finish", REJECTION: "reject", ERROR: "error", INFO: "info" };

export class EventLog {
  #roundLine = null; // the newest line when it is a round line

  constructor(list, { max = 100 } = {}) {
    this.list = list;
    this.max = max;
  }

  /** { kind, message, at? } — kind is an ArenaEventKind or "ERROR" / "INFO". */
  add({ kind, message, at = new Date().toISOString() }) {
    if (kind === "ROUND_COMPLETED" && this.#roundLine) {
      this.#roundLine.count += 1;
      setText(this.#roundLine.time, localClock());
      this.#roundLine.time.title = `event time ${at}`;
      setText(this.#roundLine.message, message);
      setText(this.#roundLine.badge, `${this.#roundLine.count}×`);
      return;
    }
    const time = el("time", { datetime: new Date().toISOString(), title: `event time ${at}` }, localClock());
    const text = el("span", { class: "message" }, message);
    const badge = el("span", { class: "count" });
    const item = el("li", { dataset: { kind } }, time, el("span", { class: "badge kind" }, LABELS[kind] ?? kind.toLowerCase()), text, badge);
    this.list.prepend(item);
    while (this.list.childElementCount > this.max) this.list.lastElementChild.remove();
    this.#roundLine = kind === "ROUND_COMPLETED" ? { time, message: text, badge, count: 1 } : null;
  }

  error(message) {
    this.add({ kind: "ERROR", message });
  }

  info(message) {
    this.add({ kind: "INFO", message });
  }
}
